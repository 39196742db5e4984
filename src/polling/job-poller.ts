import type { Clock } from '../clock.js';
import type { PollConfig } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { UpstreamState } from '../providers/types.js';
import type { InflightStore } from '../stores/inflight-store.js';
import type { ClaimResult, JobSchedule } from '../stores/job-schedule.js';
import type { TaskRecord, TaskState, TaskStore } from '../stores/task-store.js';
import { reconcileFacts, refOf } from '../videos/job-ref.js';
import { isTerminal, mergeState } from '../videos/state.js';
import { DAY_MS } from '../clock.js';
import type { Budgets } from '../budgets/budgets.js';
import type { EventDispatcher } from '../events/dispatcher.js';
import { GIVE_UP_CODE } from './give-up.js';
import { jitteredDue, nextInterval } from './interval.js';

export { GIVE_UP_CODE };


export interface JobPollerDeps {
  providers: ProviderRegistry;
  store: TaskStore;
  schedule: JobSchedule;
  inflight: InflightStore;
  clock: Clock;
  poll: PollConfig;
  /** The terminal event's outbox and its handlers (budget settlement among them). */
  events: EventDispatcher;
  /** Settles a given-up job's budget on a late upstream answer. */
  budgets: Pick<Budgets, 'settleLate'>;
  metrics: Pick<Metrics, 'unknownStatus' | 'upstreamPolls' | 'jobFinished'>;
  random?: () => number;
}

export interface JobPoller {
  /**
   * Inline refresh: polls the job now if this caller wins its lease, else
   * answers with what is known (another poll holds the lease, or one ran less
   * than `min_interval_ms` ago). Same-process callers share one poll.
   */
  refresh(record: TaskRecord, log: Logger): Promise<TaskRecord>;
  /** Background: claims a due job and polls it; 'skipped' when the lease went elsewhere. */
  pollDue(id: string, log: Logger): Promise<'polled' | 'skipped'>;
  /** Schedules the first poll of a freshly stored job. */
  scheduleFirst(record: TaskRecord): Promise<void>;
  /** Forgets a job that left Reelay (terminal, deleted, given up) and frees its concurrency slot. */
  forget(record: Pick<TaskRecord, 'id' | 'owner'>): Promise<void>;
  /** Aborts upstream calls in flight and waits for their polls to settle; leases go back for others to take. */
  close(): Promise<void>;
}

type Claimed = Extract<ClaimResult, { kind: 'claimed' }> & {
  claimedAt: number;
  /** Claimed by a client's retrieve: only inline event handlers run; a custody copy or a webhook is left to the background poller. */
  inline: boolean;
};

/**
 * A job Reelay gave up on may still finish upstream, and bill. It stays in the
 * schedule and is asked again this often, for this long, so a late answer
 * settles its still-reserved budget.
 */
export const LATE_CHECK_MS = 3_600_000;
export const LATE_CHECK_FOR_MS = 7 * DAY_MS;

const givenUp = (record: TaskRecord): boolean => record.state.status === 'failed' && record.state.error?.code === GIVE_UP_CODE;

/**
 * One poll of one job under its lease, shared by the background poller and
 * the inline refresh of GET /v1/videos/{id}: claim, read the record, ask the
 * provider, write the merged state, then schedule the next poll or, for a
 * terminal state, forget the job.
 */
export function createJobPoller(deps: JobPollerDeps): JobPoller {
  const { providers, store, schedule, inflight, clock, poll, budgets, events } = deps;
  const random = deps.random ?? Math.random;
  const giveUpMs = poll.give_up_after_s * 1000;
  const inFlight = new Map<string, Promise<TaskRecord | undefined>>();
  const aborter = new AbortController();

  const forget = async (record: Pick<TaskRecord, 'id' | 'owner'>): Promise<void> => {
    await schedule.unschedule(record.id);
    await inflight.release(record.owner, record.id);
  };

  const claim = async (id: string, inline: boolean): Promise<Claimed | undefined> => {
    const now = clock.now();
    const lease = await schedule.claim(id, { now, leaseMs: poll.lease_ms, minIntervalMs: poll.min_interval_ms });
    return lease.kind === 'claimed' ? { ...lease, claimedAt: now, inline } : undefined;
  };

  const askProvider = async (record: TaskRecord, log: Logger): Promise<UpstreamState | undefined> => {
    const provider = providers.get(record.provider);
    if (!provider) {
      log.warn({}, 'the provider of this video is no longer configured; cannot poll it');
      return undefined;
    }
    try {
      const state = await provider.status(refOf(record), { log, signal: aborter.signal });
      deps.metrics.upstreamPolls.inc({ provider: provider.id, outcome: 'ok' });
      // The adapter has already logged the word with its upstream context (observedState); count it here.
      if (state.status === undefined) deps.metrics.unknownStatus.inc({ provider: provider.id, status: state.rawStatus ?? '' });
      return state;
    } catch (err) {
      if (aborter.signal.aborted) return undefined;
      deps.metrics.upstreamPolls.inc({ provider: provider.id, outcome: 'error' });
      // A failed poll says nothing about the job itself: keep its state, back off.
      const detail = err instanceof GatewayError ? { status: err.status, code: err.code, message: err.message } : err;
      log.warn({ err: detail }, 'status poll failed; keeping the last known state');
      return undefined;
    }
  };

  const giveUp = (record: TaskRecord, state: TaskState, now: number, log: Logger): TaskState => {
    // The upstream may still finish and bill: log everything needed to reconcile by hand.
    log.error(
      {
        reconcile: {
          ...reconcileFacts(record),
          lastStatus: state.status,
          lastProgress: state.progress,
        },
      },
      `gave up on a video still ${state.status} after ${poll.give_up_after_s} s; marked failed (upstream_timeout)`,
    );
    return mergeState(
      state,
      {
        status: 'failed',
        error: {
          code: GIVE_UP_CODE,
          message: `The provider did not finish this video within ${poll.give_up_after_s} seconds; Reelay stopped waiting for it.`,
        },
      },
      now,
    );
  };

  const pollClaimed = async (id: string, lease: Claimed, callerLog: Logger): Promise<TaskRecord | undefined> => {
    // Read under the lease: whatever another instance wrote before is the base to merge onto.
    const record = await store.get(id);
    if (!record) {
      await schedule.unschedule(id);
      return undefined;
    }
    // Every line about this job, the adapter's and the event handlers' included, names the video and its provider.
    const log = callerLog.child({ videoId: id, provider: record.provider });
    if (givenUp(record)) return checkLate(record, lease, log);
    // Handlers left to run: a retry that is due, or an instance that died after the terminal write.
    if (isTerminal(record.state)) return runEvents(record, lease, log);
    const upstream = await askProvider(record, log);
    const now = clock.now();
    // Past its lease another instance may have taken the job and written newer news; ours would overwrite it.
    if (now >= lease.claimedAt + poll.lease_ms && !(await schedule.holds(id, lease.token))) {
      log.warn({}, 'poll lease expired during the poll and another instance took the job; discarding this result');
      return (await store.get(id)) ?? record;
    }
    if (aborter.signal.aborted) {
      // Shutting down: hand the job to another instance now rather than after lease_ms.
      await schedule.release(id, lease.token, { dueAt: now, intervalMs: lease.intervalMs ?? poll.initial_ms });
      return record;
    }
    let state = upstream ? mergeState(record.state, upstream, now) : record.state;
    const expired = !isTerminal(state) && now - record.createdAt >= giveUpMs;
    if (expired) state = giveUp(record, state, now, log);

    let current = record;
    if (upstream || expired) {
      // The write that makes the video terminal records its event in the same atomic step.
      const outbox = isTerminal(state) ? events.outboxFor(record, state, now) : undefined;
      const result = await store.updateState(id, state, now, outbox);
      if (result === 'missing') {
        await forget(record);
        return undefined;
      }
      if (result === 'terminal') {
        // Someone else wrote the terminal state first; theirs stands, and under our lease its events move on.
        const stored = await store.get(id);
        return stored ? runEvents(stored, lease, log) : record;
      }
      current = { ...record, state, updatedAt: now, outbox };
      if (outbox) {
        // This write won the terminal transition (the store refuses a second one), so the job is counted once, here.
        deps.metrics.jobFinished(record, state.status === 'completed' ? 'completed' : 'failed', now);
        await events.track(current, outbox, log);
      }
    }

    if (isTerminal(state)) {
      if (!expired) log.info({ status: state.status, upstreamId: record.upstreamId }, 'video finished');
      // A job given up on stays reserved in its budget and is asked again later (checkLate).
      return runEvents(current, lease, log, expired ? now + LATE_CHECK_MS : undefined);
    }
    const moved = state.status !== record.state.status || state.progress !== record.state.progress;
    const intervalMs = nextInterval(lease.intervalMs, moved, poll);
    const dueAt = Math.max(jitteredDue(now, intervalMs, random), now + poll.min_interval_ms);
    if (!(await schedule.release(id, lease.token, { dueAt, intervalMs }))) {
      log.warn({}, 'poll lease expired before the poll finished; another instance owns the job now');
    }
    return current;
  };

  /**
   * A terminal job: its slot goes back, its due event handlers run, and it
   * stays scheduled while any handler (or, for a job given up on, a late
   * check at `lateAt`) is still to come.
   */
  const runEvents = async (record: TaskRecord, lease: Claimed, log: Logger, lateAt?: number): Promise<TaskRecord> => {
    await inflight.release(record.owner, record.id);
    // A client waiting on this retrieve gets the inline handlers (settlement) only; the rest stay due for the background poller.
    const next = await events.dispatch(record, log, { inlineOnly: lease.inline });
    const dueAt = Math.min(next ?? Infinity, lateAt ?? Infinity);
    if (dueAt === Infinity) await schedule.unschedule(record.id);
    else await schedule.release(record.id, lease.token, { dueAt, intervalMs: poll.initial_ms });
    return record;
  };

  /** A given-up job, asked again: a terminal answer settles its budget; the public record stays as it was told. */
  const checkLate = async (record: TaskRecord, lease: Claimed, log: Logger): Promise<TaskRecord> => {
    const upstream = await askProvider(record, log);
    const now = clock.now();
    let lateAt: number | undefined = now + LATE_CHECK_MS;
    if (upstream?.status === 'completed' || upstream?.status === 'failed') {
      await budgets.settleLate(record, upstream.status, upstream.seconds);
      log.warn(
        { reconcile: { ...reconcileFacts(record), lateStatus: upstream.status } },
        `a video Reelay gave up on ended upstream after all (${upstream.status}); its budget is settled`,
      );
      lateAt = undefined;
    } else if (now - record.createdAt >= giveUpMs + LATE_CHECK_FOR_MS) {
      lateAt = undefined;
    }
    return runEvents(record, lease, log, lateAt);
  };

  /** One poll per job per process at a time; later callers join it. */
  const single = (id: string, run: () => Promise<TaskRecord | undefined>): Promise<TaskRecord | undefined> => {
    const running = inFlight.get(id);
    if (running) return running;
    const p = run();
    inFlight.set(id, p);
    const done = () => {
      inFlight.delete(id);
    };
    p.then(done, done);
    return p;
  };

  return {
    scheduleFirst(record) {
      return schedule.schedule(record.id, { dueAt: jitteredDue(record.createdAt, poll.initial_ms, random), intervalMs: poll.initial_ms });
    },

    forget,

    async refresh(record, log) {
      if (aborter.signal.aborted) return record;
      const result = await single(record.id, async () => {
        const lease = await claim(record.id, true);
        return lease ? pollClaimed(record.id, lease, log) : undefined;
      });
      return result ?? record;
    },

    async pollDue(id, log) {
      if (aborter.signal.aborted || inFlight.has(id)) return 'skipped';
      let polled = false;
      await single(id, async () => {
        const lease = await claim(id, false);
        if (!lease) return undefined;
        polled = true;
        return pollClaimed(id, lease, log);
      });
      return polled ? 'polled' : 'skipped';
    },

    async close() {
      aborter.abort();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
