import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { TaskRecord, TaskState, TaskStore } from '../stores/task-store.js';
import type { EventBacklog } from './backlog.js';
import { videoEvent } from './event.js';
import type { EventHandler, Outbox } from './handler.js';

/** A handler that threw is tried again after this long, doubling per attempt, at most an hour. */
const THROW_BACKOFF_MS = 5_000;
const MAX_THROW_BACKOFF_MS = 3_600_000;

export interface EventDispatcher {
  /** The outbox a terminal state is written with: a new event, and every handler that wants it, due now. */
  outboxFor(record: TaskRecord, state: TaskState, now: number): Outbox;
  /** Counts a freshly written outbox in the backlog (best effort; never fails the write that made it). `log` names the job. */
  track(record: TaskRecord, outbox: Outbox, log: Logger): Promise<void>;
  /**
   * Runs the record's handlers that are due (only the `inline` ones when
   * `inlineOnly`), under the caller's lease. Answers when the next pending
   * one is due, or undefined once none is left. `log` is the job's logger,
   * already bound to its `videoId` and `provider` (the poller's).
   */
  dispatch(record: TaskRecord, log: Logger, options?: { inlineOnly?: boolean }): Promise<number | undefined>;
  /** Pending events per handler, for /metrics. */
  backlog(): Promise<Record<string, number>>;
}

export interface EventDispatcherDeps {
  store: TaskStore;
  handlers: readonly EventHandler[];
  backlog: EventBacklog;
  clock: Clock;
}

/**
 * The outbox's consumer side. The outbox itself is the record: the terminal
 * write stores the event and the pending handlers in the record's own hash in
 * the same atomic step (one Lua script on Redis, one call in memory), and the
 * job stays in the poll schedule until every handler has finished, so the
 * poll lease that makes polling single-flight does the same for handlers, and
 * a killed instance's events move on after `poll.lease_ms` like its polls.
 * This works unchanged on Redis Cluster, where a shared stream could never be
 * written in the same script as a record in another slot.
 */
export function createEventDispatcher(deps: EventDispatcherDeps): EventDispatcher {
  const { store, handlers, backlog, clock } = deps;
  const byName = new Map(handlers.map((h) => [h.name, h]));

  const nextDue = (outbox: Outbox): number | undefined => {
    const times = Object.values(outbox.pending).map((s) => s.nextAt);
    return times.length === 0 ? undefined : Math.min(...times);
  };

  const runOne = async (record: TaskRecord, outbox: Outbox, name: string, log: Logger): Promise<void> => {
    const state = outbox.pending[name]!;
    const handler = byName.get(name);
    // The caller's log already names the video and its provider (pino would repeat a key bound twice).
    const hlog = log.child({ handler: name, eventId: outbox.event.id });
    let next: { attempts: number; nextAt: number } | null;
    if (!handler) {
      // Configured away since the event was written (e.g. storage turned off): nothing is left to do.
      hlog.warn({}, 'no such event handler any more; dropping its pending work');
      next = null;
    } else {
      try {
        const result = await handler.handle(outbox.event, record, { attempt: state.attempts + 1, now: clock.now(), log: hlog });
        next = 'done' in result ? null : { attempts: state.attempts + 1, nextAt: result.retryAt };
      } catch (err) {
        const wait = Math.min(MAX_THROW_BACKOFF_MS, THROW_BACKOFF_MS * 2 ** state.attempts);
        hlog.warn({ err: { message: (err as Error).message }, attempt: state.attempts + 1 }, 'event handler failed; trying again later');
        next = { attempts: state.attempts + 1, nextAt: clock.now() + wait };
      }
    }
    await store.updateHandler(record.id, name, next);
    if (next) outbox.pending[name] = next;
    else {
      delete outbox.pending[name];
      await backlog.remove(name, record.id).catch(() => undefined);
    }
  };

  return {
    outboxFor(record, state, now) {
      const status = state.status === 'completed' ? 'completed' : 'failed';
      const event = videoEvent(record.id, status, now);
      const terminal = { ...record, state };
      const pending = Object.fromEntries(handlers.filter((h) => h.wants(event, terminal)).map((h) => [h.name, { attempts: 0, nextAt: now }]));
      return { event, pending };
    },

    async track(record, outbox, log) {
      try {
        await Promise.all(Object.keys(outbox.pending).map((name) => backlog.add(name, record.id)));
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'could not count an event in the backlog metric');
      }
    },

    async dispatch(record, log, options = {}) {
      if (!record.outbox) return undefined;
      const outbox: Outbox = { event: record.outbox.event, pending: { ...record.outbox.pending } };
      const now = clock.now();
      const runsHere = (name: string) => !options.inlineOnly || byName.get(name)?.inline === true;
      const due = Object.entries(outbox.pending)
        .filter(([name, s]) => s.nextAt <= now && runsHere(name))
        .map(([name]) => name);
      // Independent consumers: a slow custody copy never holds a webhook back.
      await Promise.all(due.map((name) => runOne(record, outbox, name, log)));
      return nextDue(outbox);
    },

    async backlog() {
      return backlog.counts([...byName.keys()]);
    },
  };
}
