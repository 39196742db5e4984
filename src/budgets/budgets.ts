import type { Clock } from '../clock.js';
import type { PricingConfig } from '../config/schema.js';
import { InsufficientQuotaError, PermissionDeniedError, RateLimitError } from '../errors.js';
import type { Principal } from '../keys/principal.js';
import type { Logger } from '../logger.js';
import { GIVE_UP_CODE } from '../polling/give-up.js';
import type { TaskRecord } from '../stores/task-store.js';
import type { BudgetLedger, BudgetLimits, JobRef, Remaining, WindowTotals } from './ledger.js';
import { toMicros, usdPerSecond } from './pricing.js';
import { remainingOf } from './remaining.js';
import { windowsAt } from './windows.js';

/** The facts of a job about to be created upstream, after routing resolved its seconds and size. */
export interface JobToAdmit {
  id: string;
  model: string;
  /** The most any of the routed targets would make: what is reserved (settlement gives back the rest). */
  seconds: number;
  size: string;
  createdAt: number;
}

export interface Admitted {
  remaining: Remaining;
  /** The estimated cost, recorded on the job. */
  usdMicros: number;
}

export interface KeyUsage {
  day: WindowTotals;
  month: WindowTotals;
  remaining: Remaining;
}

/**
 * Spend per key, in video-seconds and estimated USD: admission before a job is
 * created upstream, and the end of each reservation when the job ends. Every
 * step is idempotent by job id, so a step repeated after a crash or by a
 * second instance changes nothing.
 */
export interface Budgets {
  /** Reserves the job against its key's windows and takes its concurrency slot, or throws the 429 (or 403) that says why. */
  admit(principal: Principal, job: JobToAdmit): Promise<Admitted>;
  /** The provider refused the create: the reservation is undone as if the job never was. */
  reject(owner: string, job: Pick<TaskRecord, 'id' | 'createdAt'>): Promise<void>;
  /**
   * A job reached a terminal state: completed settles to the delivered
   * seconds, failed releases, and a job Reelay gave up on stays reserved (the
   * provider may still finish and bill it; a later answer settles it).
   */
  settle(record: TaskRecord): Promise<void>;
  /** A later upstream answer for a job Reelay gave up on: completed settles, failed releases. */
  settleLate(record: TaskRecord, status: 'completed' | 'failed', deliveredSeconds: number | undefined): Promise<void>;
  /** Gives a non-terminal job's reservation back (deleted upstream before it finished). */
  release(record: TaskRecord): Promise<void>;
  /** What a budgeted key has left, at most `cacheMs` old; undefined for a key without budgets. */
  remaining(principal: Principal): Promise<Remaining | undefined>;
  /** The key's own day and month figures, read fresh. */
  usage(principal: Principal): Promise<KeyUsage>;
}

export interface BudgetsDeps {
  ledger: BudgetLedger;
  pricing: PricingConfig;
  clock: Clock;
  /** How long an admitted job's slot is held before its record is stored (the create's own deadline). */
  reservationMs: number;
  /** Seconds to wait before retrying a create refused for concurrency. */
  concurrencyRetryS: number;
  /** Read-path figures (for the remaining-seconds headers) are at most this old. */
  cacheMs?: number;
}

export const limitsOf = (p: Principal): BudgetLimits => ({
  secondsPerDay: p.secondsPerDay,
  secondsPerMonth: p.secondsPerMonth,
  usdMicrosPerMonth: p.usdPerMonth === undefined ? undefined : toMicros(p.usdPerMonth),
  maxConcurrent: p.maxConcurrent,
});

export const hasBudget = (p: Principal): boolean =>
  p.secondsPerDay !== undefined || p.secondsPerMonth !== undefined || p.usdPerMonth !== undefined;

const refOf = (owner: string, job: Pick<TaskRecord, 'id' | 'createdAt'>): JobRef => {
  const w = windowsAt(job.createdAt);
  return { owner, jobId: job.id, day: w.day, month: w.month };
};

/** Delivered seconds: the provider's own figure where it reports one, else what was asked for. */
const deliveredOf = (record: TaskRecord): number => record.state.seconds ?? Number(record.seconds);

const usd = (micros: number): string => `$${(micros / 1_000_000).toFixed(2)}`;

function quotaError(reason: 'seconds_day' | 'seconds_month' | 'usd_month', p: Principal, job: JobToAdmit, usdMicros: number, left: Remaining): InsufficientQuotaError {
  const w = windowsAt(job.createdAt);
  const resets = new Date(reason === 'seconds_day' ? w.dayEndsAt : w.monthEndsAt).toISOString();
  const message =
    reason === 'usd_month'
      ? `This API key has ${usd(left.usdMicrosMonth ?? 0)} of its ${usd(toMicros(p.usdPerMonth ?? 0))} monthly budget left; this request is estimated at ${usd(usdMicros)}. The month resets at ${resets}.`
      : `This API key has ${(reason === 'seconds_day' ? left.secondsDay : left.secondsMonth) ?? 0} of its ${reason === 'seconds_day' ? p.secondsPerDay : p.secondsPerMonth} video-seconds per ${reason === 'seconds_day' ? 'day' : 'month'} left; this request needs ${job.seconds}. The ${reason === 'seconds_day' ? 'day' : 'month'} resets at ${resets}.`;
  return new InsufficientQuotaError(message, { headers: remainingHeaders(left) });
}

/** The response headers of a budgeted key: each window it has a limit for. */
export function remainingHeaders(r: Remaining): Record<string, string> {
  const headers: Record<string, string> = {};
  if (r.secondsDay !== undefined) headers['x-reelay-seconds-remaining-day'] = String(r.secondsDay);
  if (r.secondsMonth !== undefined) headers['x-reelay-seconds-remaining-month'] = String(r.secondsMonth);
  if (r.usdMicrosMonth !== undefined) headers['x-reelay-usd-remaining-month'] = (r.usdMicrosMonth / 1_000_000).toFixed(6);
  return headers;
}

export function createBudgets(deps: BudgetsDeps): Budgets {
  const { ledger, pricing, clock } = deps;
  const cacheMs = deps.cacheMs ?? 1000;
  /** Read-path totals per owner; dropped by every change this instance makes, refreshed after cacheMs otherwise. */
  const cached = new Map<string, { at: number; day: string; totals: { day: WindowTotals; month: WindowTotals } }>();
  const registered = new Set<string>();

  const totalsNow = async (owner: string) => {
    const w = windowsAt(clock.now());
    return { w, totals: await ledger.totals(owner, w.day, w.month) };
  };

  const register = async (p: Principal) => {
    if (registered.has(p.owner)) return;
    await ledger.registerOwner(p.owner, p.id);
    registered.add(p.owner);
  };

  return {
    async admit(p, job) {
      const rate = usdPerSecond(pricing, job.model, job.size);
      if (p.usdPerMonth !== undefined && rate === undefined) {
        throw new PermissionDeniedError(`The model '${job.model}' has no price configured, so this API key's USD budget cannot cover it.`, {
          param: 'model',
          code: 'model_not_priced',
        });
      }
      const usdMicros = toMicros((rate ?? 0) * job.seconds);
      await register(p);
      const now = clock.now();
      const result = await ledger.admit({
        owner: p.owner,
        jobId: job.id,
        model: job.model,
        seconds: job.seconds,
        usdMicros,
        ...windowsAt(job.createdAt),
        limits: limitsOf(p),
        now,
        holdUntil: now + deps.reservationMs,
      });
      cached.delete(p.owner);
      if (result.admitted) return { remaining: result.remaining, usdMicros };
      if (result.reason === 'concurrency') {
        throw new RateLimitError(
          `This API key already has ${p.maxConcurrent} videos in progress, its max_concurrent limit. Retry once one of them has completed or failed.`,
          deps.concurrencyRetryS,
          { code: 'concurrency_limit_exceeded', headers: remainingHeaders(result.remaining) },
        );
      }
      throw quotaError(result.reason, p, job, usdMicros, result.remaining);
    },

    async reject(owner, job) {
      await ledger.release(refOf(owner, job), { rejected: true });
      cached.delete(owner);
    },

    async settle(record) {
      const { status, error } = record.state;
      if (status === 'completed') await ledger.settle(refOf(record.owner, record), deliveredOf(record));
      else if (status === 'failed' && error?.code !== GIVE_UP_CODE) await ledger.release(refOf(record.owner, record));
      cached.delete(record.owner);
    },

    async settleLate(record, status, deliveredSeconds) {
      if (status === 'completed') await ledger.settle(refOf(record.owner, record), deliveredSeconds ?? Number(record.seconds));
      else await ledger.release(refOf(record.owner, record));
      cached.delete(record.owner);
    },

    async release(record) {
      await ledger.release(refOf(record.owner, record));
      cached.delete(record.owner);
    },

    async remaining(p) {
      if (!hasBudget(p)) return undefined;
      const now = clock.now();
      let entry = cached.get(p.owner);
      if (!entry || now - entry.at >= cacheMs || entry.day !== windowsAt(now).day) {
        const { w, totals } = await totalsNow(p.owner);
        entry = { at: now, day: w.day, totals };
        cached.set(p.owner, entry);
      }
      return remainingOf(limitsOf(p), entry.totals.day, entry.totals.month);
    },

    async usage(p) {
      const { totals } = await totalsNow(p.owner);
      return { ...totals, remaining: remainingOf(limitsOf(p), totals.day, totals.month) };
    },
  };
}

/** Logs and swallows a settlement failure: the job's record is right either way, and settling again later is safe. */
export async function settleQuietly(step: Promise<void>, log: Logger, videoId: string): Promise<void> {
  try {
    await step;
  } catch (err) {
    log.warn({ videoId, err: { message: (err as Error).message } }, 'could not settle the job budget; a later poll settles it');
  }
}
