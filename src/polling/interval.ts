import type { PollConfig } from '../config/schema.js';

/** How far a due time may move either way, so jobs created together do not poll together for ever. */
export const JITTER = 0.2;
const GROWTH = 1.5;

/**
 * The next poll interval of one job: `initial_ms` for a fresh job or one whose
 * state just moved, else the last interval × 1.5 up to `max_ms`. Never below
 * `min_interval_ms`, the floor the lease enforces anyway.
 */
export function nextInterval(previousMs: number | undefined, moved: boolean, poll: Pick<PollConfig, 'initial_ms' | 'max_ms' | 'min_interval_ms'>): number {
  const grown = previousMs === undefined || moved ? poll.initial_ms : Math.min(poll.max_ms, Math.round(previousMs * GROWTH));
  return Math.max(grown, poll.min_interval_ms);
}

/** `now + interval`, moved by up to ±JITTER of it; `random` is injectable for tests. */
export function jitteredDue(now: number, intervalMs: number, random: () => number = Math.random): number {
  return now + Math.round(intervalMs * (1 - JITTER + 2 * JITTER * random()));
}
