import { DAY_MS } from '../clock.js';

/**
 * Budget windows are UTC calendar days and months, named `YYYY-MM-DD` and
 * `YYYY-MM`. A job is counted in the windows of its creation time, whenever
 * it settles, so a day's figures close as its jobs finish.
 */
export interface Windows {
  day: string;
  month: string;
  /** ms since the epoch when the day window ends (the next UTC midnight). */
  dayEndsAt: number;
  /** ms when the month window ends (the first of the next month, 00:00 UTC). */
  monthEndsAt: number;
}

export function windowsAt(ms: number): Windows {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const dayStart = Date.UTC(y, m, d.getUTCDate());
  return {
    day: new Date(dayStart).toISOString().slice(0, 10),
    month: new Date(dayStart).toISOString().slice(0, 7),
    dayEndsAt: dayStart + DAY_MS,
    monthEndsAt: Date.UTC(y, m + 1, 1),
  };
}

/** Every day from `from` to `to` (inclusive, `YYYY-MM-DD`), at most `max` of them. */
export function daysBetween(from: string, to: string, max: number): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); t <= end && days.length < max; t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
