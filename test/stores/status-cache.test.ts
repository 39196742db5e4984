import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createRedisTaskStore } from '../../src/stores/redis-task-store.js';
import { withStatusCache } from '../../src/stores/status-cache.js';
import type { TaskState } from '../../src/stores/task-store.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, useRedisServer } from '../helpers/redis-suite.js';
import { createManualClock, describeTaskStoreContract, makeRecord } from './task-store.contract.js';

const logger = createLogger('silent');
let redis: Redis;
useRedisServer((r) => (redis = r));

const completed = (at: number): TaskState => ({ status: 'completed', progress: 100, error: null, completedAt: Math.floor(at / 1000), expiresAt: Math.floor(at / 1000) + 3600 });

// The wrapper is a TaskStore like any other: the whole contract holds through it.
describeTaskStoreContract('redis behind the status cache', async ({ retentionDays }) => {
  const prefix = uniquePrefix('status-cache-contract');
  const clock = createManualClock();
  const store = withStatusCache(createRedisTaskStore({ redis, prefix, retentionDays, clock, logger }), { clock, ttlMs: 1000 });
  return { store, clock, cleanup: async () => deleteUnder([redis], prefix) };
});

describe('status cache', () => {
  /** Two instances on one Redis: each with its own cache over its own store object. */
  const twoInstances = (ttlMs = 1000, maxEntries?: number) => {
    const prefix = uniquePrefix('status-cache');
    const clock = createManualClock();
    onTestFinished(() => deleteUnder([redis], prefix));
    const make = () => withStatusCache(createRedisTaskStore({ redis, prefix, retentionDays: 3, clock, logger }), { clock, ttlMs, ...(maxEntries ? { maxEntries } : {}) });
    return { a: make(), b: make(), clock };
  };
  /** What Redis has seen: calls to HGETALL, the status read's one command. */
  const hgetalls = async (): Promise<number> => {
    const info = await redis.info('commandstats');
    return Number(/cmdstat_hgetall:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };

  it('answers a finished video from memory, with no store round trip, until the ttl passes', async () => {
    const { a, clock } = twoInstances();
    const record = makeRecord(clock.now(), { state: completed(clock.now()) });
    await a.put(record);
    expect((await a.getForStatus(record.id))?.state.status).toBe('completed');
    const before = await hgetalls();
    for (let i = 0; i < 5; i++) expect((await a.getForStatus(record.id))?.id).toBe(record.id);
    expect(await hgetalls()).toBe(before);
    clock.advance(1000);
    await a.getForStatus(record.id);
    expect(await hgetalls()).toBe(before + 1);
  });

  it('never caches a video still in progress: every status read sees the store', async () => {
    const { a, b, clock } = twoInstances();
    const record = makeRecord(clock.now());
    await a.put(record);
    expect((await a.getForStatus(record.id))?.state.status).toBe('queued');
    await b.updateState(record.id, completed(clock.now()), clock.now());
    expect((await a.getForStatus(record.id))?.state.status).toBe('completed');
  });

  it("drops its entry on this instance's own writes at once; another instance's delete shows within the ttl", async () => {
    const { a, b, clock } = twoInstances();
    const mine = makeRecord(clock.now(), { state: completed(clock.now()) });
    const theirs = makeRecord(clock.now() + 1, { state: completed(clock.now()) });
    await a.put(mine);
    await a.put(theirs);
    await a.getForStatus(mine.id);
    await a.getForStatus(theirs.id);
    expect(await a.delete(mine.id)).toBe(true);
    expect(await a.getForStatus(mine.id)).toBeUndefined();
    expect(await b.delete(theirs.id)).toBe(true);
    expect((await a.getForStatus(theirs.id))?.id).toBe(theirs.id);
    clock.advance(1000);
    expect(await a.getForStatus(theirs.id)).toBeUndefined();
  });

  it('never caches what a read raced a write for', async () => {
    const { a, clock } = twoInstances();
    const record = makeRecord(clock.now(), { state: completed(clock.now()) });
    await a.put(record);
    // The read leaves before the delete and lands after it: what it read must not be kept.
    const racing = a.getForStatus(record.id);
    await a.delete(record.id);
    expect((await racing)?.id).toBe(record.id);
    expect(await a.getForStatus(record.id)).toBeUndefined();
  });

  it('keeps at most maxEntries records, the oldest going first', async () => {
    const { a, clock } = twoInstances(1000, 2);
    const records = [0, 1, 2].map((i) => makeRecord(clock.now() + i, { state: completed(clock.now()) }));
    for (const r of records) await a.put(r);
    for (const r of records) await a.getForStatus(r.id);
    const before = await hgetalls();
    await a.getForStatus(records[2]!.id);
    await a.getForStatus(records[1]!.id);
    expect(await hgetalls()).toBe(before);
    await a.getForStatus(records[0]!.id);
    expect(await hgetalls()).toBe(before + 1);
  });

  it('is off at ttl 0', async () => {
    const { a, clock } = twoInstances(0);
    const record = makeRecord(clock.now(), { state: completed(clock.now()) });
    await a.put(record);
    const before = await hgetalls();
    await a.getForStatus(record.id);
    await a.getForStatus(record.id);
    expect(await hgetalls()).toBe(before + 2);
  });
});
