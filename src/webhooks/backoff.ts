import { DAY_MS } from '../clock.js';

/** When retries of one delivery round stop, whatever the schedule says. */
export const RETRY_WINDOW_MS = DAY_MS;

/** Each wait is stretched or shrunk by up to this share, so receivers that failed together are not retried together. */
export const JITTER = 0.2;

export interface RetryPolicy {
  /** `webhooks.retry_schedule_s`: the wait before retry n is entry n-1, the last entry repeating. */
  scheduleS: readonly number[];
  /** `webhooks.max_attempts`: attempts per round, when set. */
  maxAttempts?: number | undefined;
  random?: () => number;
}

/**
 * When to try again after the `attemptsInRound`-th failed attempt of a round
 * that began at `roundStartedAt`, or undefined when the round is over: the
 * attempts are used up, or 24 h have passed. The last retry is pulled in to
 * the window's end rather than dropped, so a receiver that is back just
 * before it still gets the event.
 */
export function nextRetryAt(policy: RetryPolicy, attemptsInRound: number, roundStartedAt: number, now: number): number | undefined {
  if (policy.maxAttempts !== undefined && attemptsInRound >= policy.maxAttempts) return undefined;
  const windowEnd = roundStartedAt + RETRY_WINDOW_MS;
  if (now >= windowEnd) return undefined;
  const { scheduleS } = policy;
  const waitS = scheduleS[Math.min(Math.max(attemptsInRound, 1), scheduleS.length) - 1]!;
  const factor = 1 - JITTER + 2 * JITTER * (policy.random ?? Math.random)();
  return Math.min(windowEnd, now + Math.round(waitS * 1000 * factor));
}
