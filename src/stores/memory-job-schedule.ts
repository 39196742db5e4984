import { randomBytes } from 'node:crypto';
import type { ClaimOptions, ClaimResult, JobSchedule, NextPoll, ScheduleStats } from './job-schedule.js';

interface Entry {
  dueAt: number;
  intervalMs: number | undefined;
  leaseUntil: number;
  token: string;
  /** When the job was last claimed, for the min-interval floor. */
  claimedAt: number | undefined;
}

/** JobSchedule for one process: the same rules as Redis, held in a Map. */
export function createMemoryJobSchedule(): JobSchedule {
  const entries = new Map<string, Entry>();

  const entryOf = (id: string): Entry => {
    let entry = entries.get(id);
    if (!entry) {
      entry = { dueAt: 0, intervalMs: undefined, leaseUntil: 0, token: '', claimedAt: undefined };
      entries.set(id, entry);
    }
    return entry;
  };

  return {
    async schedule(id, next: NextPoll) {
      const entry = entryOf(id);
      entry.dueAt = next.dueAt;
      entry.intervalMs = next.intervalMs;
    },

    async due(now, limit) {
      // A scan is fine at single-process scale; Redis keeps a sorted index instead.
      return [...entries]
        .filter(([, e]) => e.dueAt <= now)
        .sort(([, a], [, b]) => a.dueAt - b.dueAt)
        .slice(0, limit)
        .map(([id]) => id);
    },

    async claim(id, { now, leaseMs, minIntervalMs }: ClaimOptions): Promise<ClaimResult> {
      const entry = entryOf(id);
      if (entry.leaseUntil > now) return { kind: 'busy', until: entry.leaseUntil };
      if (entry.claimedAt !== undefined && entry.claimedAt + minIntervalMs > now) {
        return { kind: 'recent', until: entry.claimedAt + minIntervalMs };
      }
      const token = randomBytes(12).toString('hex');
      entry.leaseUntil = now + leaseMs;
      entry.token = token;
      entry.claimedAt = now;
      entry.dueAt = Math.max(entry.dueAt, entry.leaseUntil);
      return { kind: 'claimed', token, intervalMs: entry.intervalMs };
    },

    async release(id, token, next: NextPoll) {
      const entry = entries.get(id);
      if (!entry || entry.token !== token) return false;
      entry.leaseUntil = 0;
      entry.token = '';
      entry.dueAt = next.dueAt;
      entry.intervalMs = next.intervalMs;
      return true;
    },

    async holds(id, token) {
      return entries.get(id)?.token === token;
    },

    async unschedule(id) {
      entries.delete(id);
    },

    async stats(): Promise<ScheduleStats> {
      let oldestDueAt: number | undefined;
      for (const e of entries.values()) if (oldestDueAt === undefined || e.dueAt < oldestDueAt) oldestDueAt = e.dueAt;
      return { scheduled: entries.size, oldestDueAt };
    },
  };
}
