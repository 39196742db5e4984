import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InflightStore } from '../../src/stores/inflight-store.js';
import type { ClaimOptions, JobSchedule } from '../../src/stores/job-schedule.js';
import { mintVideoId } from '../../src/videos/video-id.js';

/**
 * The behaviour every JobSchedule and InflightStore must share, run against
 * memory, Redis and Redis Cluster by poll-stores.test.ts. Times are passed in,
 * so no clock is needed: each test picks its own `now`.
 */

export interface Harness<T> {
  store: T;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const LEASE = { leaseMs: 30_000, minIntervalMs: 1_000 };
const at = (now: number): ClaimOptions => ({ now, ...LEASE });
const newId = (offset = 0): string => mintVideoId(T0 + offset);

export function describeJobScheduleContract(name: string, factory: () => Promise<Harness<JobSchedule>>): void {
  describe(`JobSchedule contract: ${name}`, () => {
    let h: Harness<JobSchedule>;
    let schedule: JobSchedule;
    beforeEach(async () => {
      h = await factory();
      schedule = h.store;
    });
    afterEach(() => h.cleanup());

    it('lists a job as due once its due time has come, oldest first, at most limit', async () => {
      const [a, b, c] = [newId(1), newId(2), newId(3)];
      await schedule.schedule(a, { dueAt: T0 + 3000, intervalMs: 2000 });
      await schedule.schedule(b, { dueAt: T0 + 1000, intervalMs: 2000 });
      await schedule.schedule(c, { dueAt: T0 + 2000, intervalMs: 2000 });
      expect(await schedule.due(T0 + 999, 10)).toEqual([]);
      expect(await schedule.due(T0 + 2000, 10)).toEqual([b, c]);
      expect(await schedule.due(T0 + 5000, 2)).toEqual([b, c]);
      expect(await schedule.due(T0 + 5000, 10)).toEqual([b, c, a]);
    });

    it('claims a job for one poller: busy for others until the lease ends, hidden from due meanwhile', async () => {
      const id = newId();
      await schedule.schedule(id, { dueAt: T0, intervalMs: 2000 });
      const first = await schedule.claim(id, at(T0));
      expect(first).toMatchObject({ kind: 'claimed', intervalMs: 2000 });
      expect(await schedule.claim(id, at(T0 + 10))).toEqual({ kind: 'busy', until: T0 + LEASE.leaseMs });
      expect(await schedule.due(T0 + 10_000, 10)).toEqual([]);
      // The holder died without releasing: after lease_ms the job is due and claimable again.
      expect(await schedule.due(T0 + LEASE.leaseMs, 10)).toEqual([id]);
      const second = await schedule.claim(id, at(T0 + LEASE.leaseMs));
      expect(second.kind).toBe('claimed');
      expect(second.kind === 'claimed' && first.kind === 'claimed' && second.token !== first.token).toBe(true);
    });

    it('lets exactly one of many simultaneous claims win', async () => {
      const id = newId();
      await schedule.schedule(id, { dueAt: T0, intervalMs: 2000 });
      const results = await Promise.all(Array.from({ length: 20 }, () => schedule.claim(id, at(T0))));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'busy')).toHaveLength(19);
    });

    it('refuses a claim within minIntervalMs of the last one, even after a release', async () => {
      const id = newId();
      await schedule.schedule(id, { dueAt: T0, intervalMs: 2000 });
      const lease = await schedule.claim(id, at(T0));
      if (lease.kind !== 'claimed') throw new Error('expected a claim');
      expect(await schedule.release(id, lease.token, { dueAt: T0 + 100, intervalMs: 3000 })).toBe(true);
      expect(await schedule.claim(id, at(T0 + 500))).toEqual({ kind: 'recent', until: T0 + LEASE.minIntervalMs });
      expect(await schedule.claim(id, at(T0 + LEASE.minIntervalMs))).toMatchObject({ kind: 'claimed', intervalMs: 3000 });
    });

    it('releases only for the lease holder, and then sets the next due time and interval', async () => {
      const id = newId();
      await schedule.schedule(id, { dueAt: T0, intervalMs: 2000 });
      const old = await schedule.claim(id, at(T0));
      const taken = await schedule.claim(id, at(T0 + LEASE.leaseMs));
      if (old.kind !== 'claimed' || taken.kind !== 'claimed') throw new Error('expected two claims');
      expect(await schedule.holds(id, old.token)).toBe(false);
      expect(await schedule.holds(id, taken.token)).toBe(true);
      // The first holder comes back late: its release must not touch the new holder's lease or due time.
      expect(await schedule.release(id, old.token, { dueAt: T0, intervalMs: 1 })).toBe(false);
      expect(await schedule.claim(id, at(T0 + LEASE.leaseMs + 5000))).toEqual({ kind: 'busy', until: T0 + 2 * LEASE.leaseMs });
      expect(await schedule.release(id, taken.token, { dueAt: T0 + LEASE.leaseMs + 4500, intervalMs: 4500 })).toBe(true);
      expect(await schedule.holds(id, taken.token)).toBe(false);
      expect(await schedule.due(T0 + LEASE.leaseMs + 4499, 10)).toEqual([]);
      expect(await schedule.due(T0 + LEASE.leaseMs + 4500, 10)).toEqual([id]);
      expect(await schedule.claim(id, at(T0 + LEASE.leaseMs + 4500))).toMatchObject({ kind: 'claimed', intervalMs: 4500 });
    });

    it('keeps a lease when a job is rescheduled', async () => {
      const id = newId();
      await schedule.schedule(id, { dueAt: T0, intervalMs: 2000 });
      await schedule.claim(id, at(T0));
      await schedule.schedule(id, { dueAt: T0 + 100, intervalMs: 2000 });
      expect((await schedule.claim(id, at(T0 + 200))).kind).toBe('busy');
    });

    it('forgets an unscheduled job, idempotently; claiming an unknown job schedules it afresh', async () => {
      const id = newId();
      await schedule.schedule(id, { dueAt: T0, intervalMs: 2000 });
      await schedule.unschedule(id);
      await schedule.unschedule(id);
      expect(await schedule.due(T0 + 60_000, 10)).toEqual([]);
      const healed = await schedule.claim(id, at(T0));
      expect(healed).toMatchObject({ kind: 'claimed', intervalMs: undefined });
      if (healed.kind !== 'claimed') return;
      expect(await schedule.release(id, healed.token, { dueAt: T0 + 2000, intervalMs: 2000 })).toBe(true);
      expect(await schedule.due(T0 + 2000, 10)).toEqual([id]);
    });

    it('reports how many jobs are scheduled and the earliest due time, a lease counting as its end', async () => {
      expect(await schedule.stats()).toEqual({ scheduled: 0, oldestDueAt: undefined });
      // Enough ids to land in several Redis shards: the minimum is across all of them.
      const ids = Array.from({ length: 20 }, (_, i) => newId(i));
      for (const [i, id] of ids.entries()) await schedule.schedule(id, { dueAt: T0 + 1000 * (i + 1), intervalMs: 2000 });
      expect(await schedule.stats()).toEqual({ scheduled: 20, oldestDueAt: T0 + 1000 });
      // The earliest job is claimed: hidden until its lease ends, so the next one is the oldest due.
      await schedule.claim(ids[0]!, at(T0 + 1000));
      expect(await schedule.stats()).toEqual({ scheduled: 20, oldestDueAt: T0 + 2000 });
      await schedule.unschedule(ids[1]!);
      expect(await schedule.stats()).toEqual({ scheduled: 19, oldestDueAt: T0 + 3000 });
    });
  });
}

export function describeInflightContract(name: string, factory: () => Promise<Harness<InflightStore>>): void {
  describe(`InflightStore contract: ${name}`, () => {
    let h: Harness<InflightStore>;
    let inflight: InflightStore;
    beforeEach(async () => {
      h = await factory();
      inflight = h.store;
    });
    afterEach(() => h.cleanup());
    const hold = { now: T0, holdUntil: T0 + 60_000 };

    it('admits up to the limit, then refuses until a slot is released', async () => {
      expect(await inflight.acquire('alice', 'v1', { limit: 2, ...hold })).toBe(true);
      expect(await inflight.acquire('alice', 'v2', { limit: 2, ...hold })).toBe(true);
      expect(await inflight.acquire('alice', 'v3', { limit: 2, ...hold })).toBe(false);
      expect(await inflight.count('alice', T0)).toBe(2);
      await inflight.release('alice', 'v1');
      await inflight.release('alice', 'v1');
      expect(await inflight.acquire('alice', 'v3', { limit: 2, ...hold })).toBe(true);
      expect(await inflight.count('alice', T0)).toBe(2);
    });

    it('is idempotent per id and keeps owners apart', async () => {
      expect(await inflight.acquire('alice', 'v1', { limit: 1, ...hold })).toBe(true);
      expect(await inflight.acquire('alice', 'v1', { limit: 1, ...hold })).toBe(true);
      expect(await inflight.acquire('bob', 'v2', { limit: 1, ...hold })).toBe(true);
      expect(await inflight.count('alice', T0)).toBe(1);
      expect(await inflight.count('bob', T0)).toBe(1);
    });

    it('counts jobs without a limit too', async () => {
      for (let i = 0; i < 5; i++) expect(await inflight.acquire('alice', `v${i}`, { limit: undefined, ...hold })).toBe(true);
      expect(await inflight.count('alice', T0)).toBe(5);
      expect(await inflight.acquire('alice', 'v9', { limit: 5, ...hold })).toBe(false);
    });

    it('frees a slot at its deadline; hold moves the deadline but never revives a released slot', async () => {
      await inflight.acquire('alice', 'v1', { limit: 1, now: T0, holdUntil: T0 + 1000 });
      await inflight.acquire('alice', 'v2', { limit: 2, now: T0, holdUntil: T0 + 1000 });
      await inflight.hold('alice', 'v2', { now: T0, until: T0 + 5000 });
      expect(await inflight.count('alice', T0 + 999)).toBe(2);
      expect(await inflight.count('alice', T0 + 1000)).toBe(1);
      expect(await inflight.acquire('alice', 'v3', { limit: 2, now: T0 + 1000, holdUntil: T0 + 9000 })).toBe(true);
      await inflight.release('alice', 'v2');
      await inflight.hold('alice', 'v2', { now: T0 + 1000, until: T0 + 9000 });
      expect(await inflight.count('alice', T0 + 1000)).toBe(1);
    });

    it('admits exactly one of many simultaneous acquires for the last slot', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => inflight.acquire('alice', `v${i}`, { limit: 1, ...hold })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await inflight.count('alice', T0)).toBe(1);
    });
  });
}
