import { describe, expect, it } from 'vitest';
import { JITTER, nextRetryAt, RETRY_WINDOW_MS } from '../../src/webhooks/backoff.js';

/** The retry plan: the schedule's waits with jitter, the last repeating, for 24 h or max_attempts. */

const T0 = Date.UTC(2026, 10, 1);
const schedule = [5, 30, 120, 600, 3600];
const at = (random: number) => ({ scheduleS: schedule, random: () => random });

describe('nextRetryAt', () => {
  it('waits the n-th entry after the n-th failure, the last one repeating', () => {
    const plan = at(0.5);
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => nextRetryAt(plan, n, T0, T0)! - T0)).toEqual([5, 30, 120, 600, 3600, 3600, 3600].map((s) => s * 1000));
  });

  it('stretches or shrinks each wait by at most the jitter', () => {
    expect(nextRetryAt(at(0), 1, T0, T0)! - T0).toBe(5000 * (1 - JITTER));
    expect(nextRetryAt(at(0.999999), 1, T0, T0)! - T0).toBeCloseTo(5000 * (1 + JITTER), -1);
  });

  it('stops 24 h after the round began, pulling the last retry in to the window end', () => {
    const late = T0 + RETRY_WINDOW_MS - 1000;
    expect(nextRetryAt(at(0.5), 30, T0, late)).toBe(T0 + RETRY_WINDOW_MS);
    expect(nextRetryAt(at(0.5), 31, T0, T0 + RETRY_WINDOW_MS)).toBeUndefined();
  });

  it('stops after max_attempts attempts in the round', () => {
    const plan = { ...at(0.5), maxAttempts: 3 };
    expect(nextRetryAt(plan, 2, T0, T0)).toBe(T0 + 30_000);
    expect(nextRetryAt(plan, 3, T0, T0)).toBeUndefined();
  });
});
