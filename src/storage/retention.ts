import { randomBytes } from 'node:crypto';
import { DAY_MS, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ContentStorage } from './content-storage.js';

/** The first sweep after start comes after about this long (jittered up to double). */
const FIRST_SWEEP_MS = 60_000;

export interface RetentionSweeperDeps {
  storage: ContentStorage;
  clock: Clock;
  retentionDays: number;
  logger: Logger;
  /** Between sweeps (jittered by up to a tenth, so instances drift apart). */
  everyMs: number;
}

export interface RetentionSweeper {
  start(): void;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
  /** One sweep now: removes files stored more than retention_days ago; answers how many. */
  sweep(): Promise<number>;
}

/**
 * Every instance sweeps on its own timer: no lease is needed because every
 * removal is idempotent, so two instances sweeping at once only repeat each
 * other's deletes. The timer is real, the cutoff comes from the injected
 * clock. Records keep their custody entries, so /content knows the file
 * expired (404 video_expired) rather than that it never existed.
 */
export function createRetentionSweeper({ storage, clock, retentionDays, logger, everyMs }: RetentionSweeperDeps): RetentionSweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  /** One sweep, with its own correlation id (`sweepId`) on its lines, a failure's included. */
  const sweep = (): Promise<number> => {
    if (running) return running;
    const log = logger.child({ sweepId: `sweep_${randomBytes(6).toString('hex')}` });
    running = storage
      .sweep(clock.now() - retentionDays * DAY_MS)
      .then((removed) => {
        if (removed > 0) log.info({ removed, retentionDays }, 'retention sweep removed stored video files');
        return removed;
      })
      .catch((err: unknown) => {
        log.warn({ err: { message: (err as Error).message } }, 'retention sweep failed; trying again at the next one');
        throw err;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      sweep()
        // Logged inside sweep, under its sweepId.
        .catch(() => undefined)
        .finally(() => {
          if (timer) schedule(everyMs * (1 + Math.random() / 10));
        });
    }, delayMs);
    // A pending sweep never keeps the process alive.
    timer.unref();
  };

  return {
    start() {
      // Soon after start too, so instances that restart more often than `everyMs` still sweep.
      if (!timer) schedule(Math.min(everyMs, FIRST_SWEEP_MS) * (1 + Math.random()));
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    sweep,
  };
}
