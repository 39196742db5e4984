/**
 * JobSchedule: when each non-terminal job is next polled, and who may poll it
 * now. Every Reelay instance shares it, so one lease per job makes one poll
 * stream per job however many instances and clients there are. Two
 * implementations (memory, Redis) pass test/stores/job-schedule.contract.ts.
 *
 * Times are ms since the epoch from the caller's clock; instances sharing a
 * Redis must keep their clocks in sync (NTP) to well under `leaseMs`.
 */

export type ClaimResult =
  /** The caller holds the lease until `now + leaseMs` and must poll, then release or unschedule. */
  | { kind: 'claimed'; token: string; /** The interval the previous poll chose; undefined for a fresh job. */ intervalMs: number | undefined }
  /** Another poller holds an unexpired lease. */
  | { kind: 'busy'; until: number }
  /** The job was polled less than `minIntervalMs` ago; polling again is allowed at `until`. */
  | { kind: 'recent'; until: number };

export interface ClaimOptions {
  now: number;
  leaseMs: number;
  /** Floor between two claims of one job, whoever makes them. */
  minIntervalMs: number;
}

export interface NextPoll {
  dueAt: number;
  /** Remembered for the next claim, so intervals can grow. */
  intervalMs: number;
}

export interface JobSchedule {
  /** Adds a job, or moves its next poll; keeps any lease. */
  schedule(id: string, next: NextPoll): Promise<void>;
  /** Ids due at `now` (oldest due first), at most `limit`. Leased jobs may be included: claim decides. */
  due(now: number, limit: number): Promise<string[]>;
  /**
   * Atomically takes the job's lease unless another unexpired lease exists or
   * the job was claimed less than `minIntervalMs` ago. A job that is not
   * scheduled can be claimed (which schedules it), so an inline refresh also
   * heals a job whose schedule was lost.
   */
  claim(id: string, options: ClaimOptions): Promise<ClaimResult>;
  /**
   * Gives the lease back and sets the next poll. False when the lease was lost
   * (it expired and another poller claimed the job): the caller must then leave
   * the schedule alone.
   */
  release(id: string, token: string, next: NextPoll): Promise<boolean>;
  /** Whether `token` still holds the job's lease (nobody claimed it since, even if it expired). */
  holds(id: string, token: string): Promise<boolean>;
  /** Forgets the job (terminal, deleted, given up); idempotent. */
  unschedule(id: string): Promise<void>;
  /**
   * How many jobs are scheduled and the earliest due time among them (a
   * leased job counts with its lease's end), for the jobs-in-flight and
   * poller-lag gauges. Read at scrape time, so it must stay cheap.
   */
  stats(): Promise<ScheduleStats>;
}

export interface ScheduleStats {
  scheduled: number;
  /** ms since the epoch; undefined when nothing is scheduled. */
  oldestDueAt: number | undefined;
}
