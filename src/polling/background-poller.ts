import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { PollConfig } from '../config/schema.js';
import { ServiceUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobSchedule } from '../stores/job-schedule.js';
import type { JobPoller } from './job-poller.js';

export interface BackgroundPollerDeps {
  jobs: JobPoller;
  schedule: JobSchedule;
  clock: Clock;
  poll: PollConfig;
  logger: Logger;
  /** Due jobs read per tick (default: four per poll in flight). */
  batch?: number;
}

export interface BackgroundPoller {
  start(): void;
  /** Stops claiming; resolves once the current tick is over. Leases already held are the JobPoller's to hand back. */
  stop(): Promise<void>;
}

/** How long the loop sleeps while the store is unreachable, so an outage costs one failed read a second. */
const OUTAGE_BACKOFF_MS = 1000;

/**
 * The loop every instance runs: read due jobs, try to claim each, poll the
 * ones won. Instances need no coordination beyond the leases; the order is
 * shuffled so they tend to claim different jobs first. The loop waits on real
 * timers, but every due time it reads or writes comes from the injected clock.
 */
export function createBackgroundPoller(deps: BackgroundPollerDeps): BackgroundPoller {
  const { jobs, schedule, clock, poll, logger } = deps;
  const concurrency = poll.concurrency;
  // Enough per read that the loop rarely waits on the last slow poll of a batch before reading again.
  const batch = deps.batch ?? 4 * concurrency;
  const tickMs = Math.min(500, Math.max(25, Math.floor(poll.initial_ms / 4)));
  let running: Promise<void> | undefined;
  let stopping: AbortController | undefined;
  let outage = false;

  const tick = async (): Promise<number> => {
    const ids = shuffle(await schedule.due(clock.now(), batch));
    // One correlation id per batch of due jobs: every line of its polls (and their event handlers) carries it.
    const log = ids.length === 0 ? logger : logger.child({ pollBatchId: newBatchId() });
    let unavailable: unknown;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length && !stopping?.signal.aborted) {
        const id = ids[next++] as string;
        try {
          await jobs.pollDue(id, log);
        } catch (err) {
          if (err instanceof ServiceUnavailableError) unavailable = err;
          else log.error({ err, videoId: id }, 'background poll failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
    if (unavailable) throw unavailable;
    return ids.length;
  };

  const loop = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      let waitMs = tickMs;
      try {
        // A full batch means more are due: go again at once.
        if ((await tick()) >= batch) waitMs = 0;
        if (outage) logger.info('background poller resumed: the store answers again');
        outage = false;
      } catch (err) {
        if (!outage) logger.warn({ err: { message: (err as Error).message } }, 'background poller paused: the store is unavailable');
        outage = true;
        waitMs = Math.max(tickMs, OUTAGE_BACKOFF_MS);
      }
      await sleep(waitMs, signal);
    }
  };

  return {
    start() {
      if (running) return;
      stopping = new AbortController();
      running = loop(stopping.signal);
    },
    async stop() {
      stopping?.abort();
      await running;
      running = undefined;
    },
  };
}

/** `poll_` + 48 random bits: unique enough to grep one batch out of a day of logs. */
const newBatchId = (): string => `poll_${randomBytes(6).toString('hex')}`;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
