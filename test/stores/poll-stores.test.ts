import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../src/errors.js';
import { createMemoryInflightStore } from '../../src/stores/memory-inflight-store.js';
import { createMemoryJobSchedule } from '../../src/stores/memory-job-schedule.js';
import { createRedisClient } from '../../src/stores/redis-client.js';
import { createRedisInflightStore } from '../../src/stores/redis-inflight-store.js';
import { createRedisJobSchedule, DUE_SHARDS, shardOf } from '../../src/stores/redis-job-schedule.js';
import { mintVideoId } from '../../src/videos/video-id.js';
import { startRedisServer, uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, useRedisCluster, useRedisServer } from '../helpers/redis-suite.js';
import { describeInflightContract, describeJobScheduleContract } from './poll-stores.contract.js';

const TTL_MS = 86_400_000;

describeJobScheduleContract('memory', async () => ({ store: createMemoryJobSchedule(), cleanup: async () => {} }));
describeInflightContract('memory', async () => ({ store: createMemoryInflightStore(), cleanup: async () => {} }));

describe('on one Redis', () => {
  let redis: Redis;
  useRedisServer((r) => (redis = r));

  describeJobScheduleContract('redis', async () => {
    const prefix = uniquePrefix('schedule');
    return { store: createRedisJobSchedule({ redis, prefix, ttlMs: TTL_MS }), cleanup: () => deleteUnder([redis], prefix) };
  });
  describeInflightContract('redis', async () => {
    const prefix = uniquePrefix('inflight');
    return { store: createRedisInflightStore({ redis, prefix }), cleanup: () => deleteUnder([redis], prefix) };
  });

  it('spreads the due index over its shards and writes nothing outside the prefix', async () => {
    const prefix = uniquePrefix('layout');
    const schedule = createRedisJobSchedule({ redis, prefix, ttlMs: TTL_MS });
    const inflight = createRedisInflightStore({ redis, prefix });
    const ids = Array.from({ length: 64 }, (_, i) => mintVideoId(Date.now() + i));
    for (const id of ids) await schedule.schedule(id, { dueAt: 1, intervalMs: 2000 });
    await schedule.claim(ids[0]!, { now: 2, leaseMs: 1000, minIntervalMs: 0 });
    await inflight.acquire('team {eu}', ids[0]!, { limit: 1, now: 2, holdUntil: 10_000_000 });
    expect(new Set(ids.map(shardOf)).size).toBeGreaterThan(DUE_SHARDS / 2);
    const keys = await redis.keys('*');
    const ours = keys.filter((k) => k.startsWith(prefix));
    expect(ours).toContain(`${prefix}video:{${ids[0]}}:poll`);
    expect(ours).toContain(`${prefix}owner:{${encodeURIComponent('team {eu}')}}:inflight`);
    expect(ours.filter((k) => k.startsWith(`${prefix}poll:{due-`)).length).toBeGreaterThan(DUE_SHARDS / 2);
    expect(await redis.pttl(`${prefix}video:{${ids[0]}}:poll`)).toBeGreaterThan(0);
    await deleteUnder([redis], prefix);
  });

  it('answers ServiceUnavailableError quickly while Redis is down, and works again once it is back', async () => {
    const outage = await startRedisServer();
    const client = createRedisClient({ url: outage.url });
    client.on('error', () => {}); // connection errors are the point of this test
    try {
      await client.connect();
      const schedule = createRedisJobSchedule({ redis: client, prefix: uniquePrefix('down'), ttlMs: TTL_MS });
      const inflight = createRedisInflightStore({ redis: client, prefix: uniquePrefix('down') });
      await schedule.schedule('v1', { dueAt: 1, intervalMs: 1 });
      await outage.kill();
      const started = Date.now();
      await expect(schedule.due(10, 10)).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(schedule.claim('v1', { now: 10, leaseMs: 100, minIntervalMs: 0 })).rejects.toMatchObject({ status: 503, code: 'store_unavailable' });
      await expect(inflight.acquire('alice', 'v1', { limit: 1, now: 1, holdUntil: 2 })).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(Date.now() - started).toBeLessThan(2500);
      await outage.restart();
      await expect.poll(() => schedule.due(10, 10).catch(() => 'down'), { timeout: 10_000, interval: 100 }).toEqual([]);
    } finally {
      client.disconnect();
      await outage.stop();
    }
  });
});

describe('on Redis Cluster', () => {
  let cluster: Cluster;
  useRedisCluster((c) => (cluster = c));

  describeJobScheduleContract('redis cluster', async () => {
    const prefix = uniquePrefix('schedule');
    return { store: createRedisJobSchedule({ redis: cluster, prefix, ttlMs: TTL_MS }), cleanup: () => deleteUnder(cluster.nodes('master'), prefix) };
  });
  describeInflightContract('redis cluster', async () => {
    const prefix = uniquePrefix('inflight');
    return { store: createRedisInflightStore({ redis: cluster, prefix }), cleanup: () => deleteUnder(cluster.nodes('master'), prefix) };
  });

  it('keeps a job poll hash in its record slot and the concurrency set in its owner slot', async () => {
    const slot = (key: string): Promise<unknown> => cluster.call('CLUSTER', 'KEYSLOT', key);
    const id = mintVideoId(Date.now());
    expect(await slot(`reelay:video:{${id}}:poll`)).toBe(await slot(`reelay:video:{${id}}`));
    expect(await slot(`reelay:owner:{alice}:inflight`)).toBe(await slot(`reelay:owner:{alice}:videos`));
  });
});
