/**
 * BudgetLedger: per-key spend in video-seconds and estimated USD, reserved
 * when a job is admitted and settled or released when it ends, keyed by job
 * id so every step is idempotent (a settled job cannot be released, a
 * released one cannot be settled: the undo is always tied to the reservation
 * it undoes). Admission is one atomic step with the key's `max_concurrent`
 * slot, so instances racing for the last seconds of a budget can never admit
 * more than it holds. Two implementations (memory, Redis) pass
 * test/budgets/ledger.contract.ts.
 *
 * USD is held in whole micro-dollars, so sums stay exact.
 */

export interface BudgetLimits {
  secondsPerDay?: number | undefined;
  secondsPerMonth?: number | undefined;
  usdMicrosPerMonth?: number | undefined;
  /** Non-terminal jobs at once; undefined counts the job without a limit. */
  maxConcurrent?: number | undefined;
}

export interface AdmitRequest {
  /** The key's owner token: every per-key record is filed under it. */
  owner: string;
  jobId: string;
  model: string;
  seconds: number;
  usdMicros: number;
  /** Windows of the job's creation time (windowsAt(createdAt)). */
  day: string;
  month: string;
  dayEndsAt: number;
  monthEndsAt: number;
  limits: BudgetLimits;
  now: number;
  /** The concurrency slot frees itself at this time unless held longer. */
  holdUntil: number;
}

/** What is left after the step, per window; undefined where the key has no such limit. */
export interface Remaining {
  secondsDay?: number | undefined;
  secondsMonth?: number | undefined;
  usdMicrosMonth?: number | undefined;
}

export type AdmitResult =
  | { admitted: true; remaining: Remaining }
  | { admitted: false; reason: 'seconds_day' | 'seconds_month' | 'usd_month' | 'concurrency'; remaining: Remaining };

/** One window's totals: held now, delivered, given back, and the jobs counted in it. */
export interface WindowTotals {
  jobs: number;
  reserved: number;
  settled: number;
  released: number;
  usdMicrosReserved: number;
  usdMicrosSettled: number;
}

export const USAGE_METRICS = [
  'jobs_created',
  'jobs_completed',
  'jobs_failed',
  'seconds_reserved',
  'seconds_settled',
  'seconds_released',
  'usd_micros',
] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

/** One key's figures for one model on one day. `usd_micros` is reserved + settled estimated cost. */
export interface UsageRow {
  owner: string;
  day: string;
  model: string;
  metrics: Record<UsageMetric, number>;
}

/** Which job to settle or release: its owner, id, and creation windows. */
export interface JobRef {
  owner: string;
  jobId: string;
  day: string;
  month: string;
}

export interface BudgetLedger {
  /** Reserves the job's seconds and cost against its windows and takes its slot, or refuses: one atomic step. Idempotent per job. */
  admit(request: AdmitRequest): Promise<AdmitResult>;
  /**
   * Gives a reservation back: the job failed, or the provider refused the
   * create (`rejected`: the job never existed, so it is not counted as created).
   * False when there is nothing reserved to release.
   */
  release(job: JobRef, options?: { rejected?: boolean }): Promise<boolean>;
  /** Settles a reservation to the seconds delivered; the difference is released. False when nothing is reserved. */
  settle(job: JobRef, deliveredSeconds: number): Promise<boolean>;
  /** The day and month totals of one key. */
  totals(owner: string, day: string, month: string): Promise<{ day: WindowTotals; month: WindowTotals }>;
  /** Usage rows of the given keys and days (days with no jobs give no rows). */
  usage(owners: readonly string[], days: readonly string[]): Promise<UsageRow[]>;
  /** Every owner that ever had a job admitted, with its key id. */
  owners(): Promise<Map<string, string>>;
  /** Remembers which key id an owner token belongs to (usage reports name keys by id). */
  registerOwner(owner: string, keyId: string): Promise<void>;
}

export const emptyTotals = (): WindowTotals => ({ jobs: 0, reserved: 0, settled: 0, released: 0, usdMicrosReserved: 0, usdMicrosSettled: 0 });
