import type { Redis } from 'ioredis';
import { DUE_SHARDS } from '../../../src/stores/redis-job-schedule.js';

/**
 * Reads Reelay's poll schedule from Redis (read-only) to learn when each job
 * was due, and judges the fake upstream's arrival times against it.
 *
 * The schedule is `${prefix}poll:{due-<n>}`, DUE_SHARDS sorted sets with
 * member = video id and score = next due time (src/stores/redis-job-schedule.ts).
 * A poll's release writes the next due time, at least poll.min_interval_ms
 * ahead; a claim hides the job by moving its score to the lease's end
 * (now + lease_ms). Sampling every 250 ms therefore sees every due time
 * written (each is in the future for ≥ 1 s before it is due, and stays until
 * claimed), and a score beyond half the lease is a lease, not a due time.
 */

export interface ScheduleWatch {
  /** Stops sampling; per job, the distinct due times seen, in the order seen. */
  stop(): Promise<Map<string, number[]>>;
}

export function watchSchedule(redis: Redis, prefix: string, o: { everyMs: number; leaseMs: number }): ScheduleWatch {
  const keys = Array.from({ length: DUE_SHARDS }, (_, n) => `${prefix}poll:{due-${n}}`);
  const dues = new Map<string, number[]>();
  let stopped = false;
  let failure: unknown;
  const sample = async (): Promise<void> => {
    const now = Date.now();
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.zrange(key, 0, -1, 'WITHSCORES');
    for (const [err, flat] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      const list = flat as string[];
      for (let i = 0; i + 1 < list.length; i += 2) {
        const score = Number(list[i + 1]);
        if (score > now + o.leaseMs / 2) continue;
        const id = list[i]!;
        const seen = dues.get(id);
        if (!seen) dues.set(id, [score]);
        else if (seen.at(-1) !== score) seen.push(score);
      }
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      try {
        await sample();
      } catch (err) {
        failure = err;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, o.everyMs - (Date.now() - t0))));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
      return dues;
    },
  };
}

/** [ms since the epoch, caller index] of each status call of one job, as the fake upstream reports them. */
export type Arrivals = Array<[number, number]>;

export interface Lateness {
  /** ms after its due time that each due poll arrived, in [from, to); censored values for dues still unanswered at `to`. */
  lateMs: number[];
  /** Dues still unanswered at `to` (their lateness is at least to − due). */
  unanswered: number;
  /** Arrivals in the window with no due time seen before them (should be none). */
  unmatched: number;
}

/**
 * Each arrival answers the latest due time at or before it; a due time answered
 * twice counts once here (the second is a double poll, counted apart).
 */
export function lateness(dues: ReadonlyMap<string, readonly number[]>, arrivals: ReadonlyMap<string, Arrivals>, from: number, to: number): Lateness {
  const out: Lateness = { lateMs: [], unanswered: 0, unmatched: 0 };
  for (const [id, jobDues] of dues) {
    const sorted = [...jobDues].sort((a, b) => a - b);
    const answered = new Set<number>();
    for (const [t] of arrivals.get(id) ?? []) {
      if (t < from || t >= to) continue;
      let due: number | undefined;
      for (const d of sorted) if (d <= t) due = d;
      if (due === undefined) out.unmatched++;
      else if (!answered.has(due)) {
        answered.add(due);
        out.lateMs.push(t - due);
      }
    }
    // A due time in the window that no arrival in the window answered was still waiting at `to`.
    for (const d of sorted) {
      if (d >= from && d < to && !answered.has(d)) {
        out.unanswered++;
        out.lateMs.push(to - d);
      }
    }
  }
  return out;
}

/** Pairs of consecutive status calls of one job closer than `minIntervalMs`, within [from, to); and the closest pair. */
export function doublePolls(arrivals: ReadonlyMap<string, Arrivals>, minIntervalMs: number, from: number, to: number): { count: number; closestMs: number | undefined } {
  let count = 0;
  let closestMs: number | undefined;
  for (const calls of arrivals.values()) {
    const times = calls.map(([t]) => t).filter((t) => t >= from && t < to).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      if (gap < minIntervalMs) count++;
      if (closestMs === undefined || gap < closestMs) closestMs = gap;
    }
  }
  return { count, closestMs };
}
