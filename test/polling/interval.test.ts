import { describe, expect, it } from 'vitest';
import { JITTER, jitteredDue, nextInterval } from '../../src/polling/interval.js';

const poll = { initial_ms: 2000, max_ms: 15_000, min_interval_ms: 1000 };

describe('nextInterval', () => {
  it('starts at initial_ms, grows ×1.5 while nothing moves, and stops at max_ms', () => {
    const seen: number[] = [];
    let interval: number | undefined;
    for (let i = 0; i < 8; i++) {
      interval = nextInterval(interval, false, poll);
      seen.push(interval);
    }
    expect(seen).toEqual([2000, 3000, 4500, 6750, 10_125, 15_000, 15_000, 15_000]);
  });

  it('starts over at initial_ms when the job moved', () => {
    expect(nextInterval(15_000, true, poll)).toBe(2000);
  });

  it('never goes below min_interval_ms', () => {
    expect(nextInterval(undefined, false, { ...poll, initial_ms: 100 })).toBe(1000);
  });
});

describe('jitteredDue', () => {
  it(`moves the due time by at most ±${JITTER * 100}% of the interval`, () => {
    expect(jitteredDue(1000, 2000, () => 0)).toBe(1000 + 1600);
    expect(jitteredDue(1000, 2000, () => 0.5)).toBe(1000 + 2000);
    expect(jitteredDue(1000, 2000, () => 0.999999)).toBe(1000 + 2400);
    for (let i = 0; i < 100; i++) {
      const due = jitteredDue(0, 10_000);
      expect(due).toBeGreaterThanOrEqual(8000);
      expect(due).toBeLessThanOrEqual(12_000);
    }
  });
});
