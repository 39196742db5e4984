import { once } from 'node:events';
import { Redis, type Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createRedisTaskStore } from '../../src/stores/redis-task-store.js';
import type { TaskRecord, TaskStore } from '../../src/stores/task-store.js';
import { startRedisServer, uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, keysUnder, useRedisCluster, useRedisServer } from '../helpers/redis-suite.js';
import { describeOutboxContract } from './outbox.contract.js';
import { createManualClock, describeTaskStoreContract, makeRecord, type TaskStoreHarness } from './task-store.contract.js';

const logger = createLogger('silent');
const DAY_MS = 86_400_000;

let redis: Redis;
useRedisServer((r) => (redis = r));

function harness(client: Redis | Cluster, nodes: () => Redis[], retentionDays: number): TaskStoreHarness {
  const prefix = uniquePrefix('task-store');
  const clock = createManualClock();
  const store = createRedisTaskStore({ redis: client, prefix, retentionDays, clock, logger });
  return {
    store,
    clock,
    async cleanup() {
      await store.close();
      await deleteUnder(nodes(), prefix);
    },
  };
}

describeTaskStoreContract('redis', async ({ retentionDays }) => harness(redis, () => [redis], retentionDays));
describeOutboxContract('redis', async ({ retentionDays }) => harness(redis, () => [redis], retentionDays));

describe('redis TaskStore specifics', () => {
  const retentionDays = 3;
  const setup = (): { store: TaskStore; prefix: string; clock: ReturnType<typeof createManualClock> } => {
    const prefix = uniquePrefix('redis-only');
    const clock = createManualClock();
    onTestFinished(() => deleteUnder([redis], prefix));
    return { store: createRedisTaskStore({ redis, prefix, retentionDays, clock, logger }), prefix, clock };
  };

  it('lays out one hash per job and one sorted set per owner, each with a hash tag', async () => {
    const { store, prefix, clock } = setup();
    const owner = 'team/ops {eu}: ünï';
    const record = makeRecord(clock.now(), { owner });
    await store.put(record);

    const recordKey = `${prefix}video:{${record.id}}`;
    const indexKey = `${prefix}owner:{${encodeURIComponent(owner)}}:videos`;
    expect(await redis.type(recordKey)).toBe('hash');
    expect(Object.keys(await redis.hgetall(recordKey)).sort()).toEqual(['rec', 'state', 'status', 'updatedAt']);
    expect(await redis.hget(recordKey, 'status')).toBe('queued');
    expect(await redis.type(indexKey)).toBe('zset');
    expect(await redis.zrange(indexKey, 0, -1, 'WITHSCORES')).toEqual([record.id, '0']);

    // Redis hashes only what lies between the first `{` and the next `}`.
    const hashTag = (key: string): string => key.slice(key.indexOf('{') + 1, key.indexOf('}', key.indexOf('{')));
    expect(hashTag(recordKey.slice(prefix.length))).toBe(record.id);
    expect(hashTag(indexKey.slice(prefix.length))).toBe(encodeURIComponent(owner));
  });

  it('sets the TTL of a record to what is left of its retention, and of the index to its newest entry', async () => {
    const { store, prefix, clock } = setup();
    const retentionMs = retentionDays * DAY_MS;
    const fresh = makeRecord(clock.now());
    const dayOld = makeRecord(clock.now() - DAY_MS);
    await store.put(fresh);
    await store.put(dayOld);
    await store.updateState(fresh.id, { ...fresh.state, status: 'in_progress', progress: 5 }, clock.now());

    // Slack for the real time that passes between the PEXPIRE and the PTTL.
    const expectTtlNear = async (key: string, expected: number): Promise<void> => {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeLessThanOrEqual(expected);
      expect(ttl).toBeGreaterThan(expected - 10_000);
    };
    await expectTtlNear(`${prefix}video:{${fresh.id}}`, retentionMs);
    await expectTtlNear(`${prefix}video:{${dayOld.id}}`, retentionMs - DAY_MS);
    await expectTtlNear(`${prefix}owner:{alice}:videos`, retentionMs);
  });

  it('trims index entries past retention on put', async () => {
    const { store, prefix, clock } = setup();
    const old = makeRecord(clock.now());
    await store.put(old);
    clock.advance(retentionDays * DAY_MS + 1);
    const fresh = makeRecord(clock.now());
    await store.put(fresh);
    expect(await redis.zrange(`${prefix}owner:{alice}:videos`, 0, -1)).toEqual([fresh.id]);
  });

  it('skips and unindexes records whose hash vanished, still filling the page', async () => {
    const { store, prefix, clock } = setup();
    const records = Array.from({ length: 8 }, (_, i) => makeRecord(clock.now() + i));
    for (const record of records) await store.put(record);
    const indexKey = `${prefix}owner:{alice}:videos`;
    // What a fired TTL looks like to the store: the hash is gone, the index entry is not.
    for (const record of records.filter((_, i) => i % 3 !== 2)) await redis.del(`${prefix}video:{${record.id}}`);

    const survivors = [records[2], records[5]].map((r) => r?.id);
    const page = await store.list('alice', { limit: 1, order: 'asc' });
    expect([page.data.map((r) => r.id), page.hasMore]).toEqual([[survivors[0]], true]);
    expect((await store.list('alice', { limit: 5, order: 'desc' })).data.map((r) => r.id)).toEqual([...survivors].reverse());
    expect((await redis.zrange(indexKey, 0, -1)).sort()).toEqual(survivors.sort());
  });

  it('makes ping fail while Redis is down and succeed once it is back', async () => {
    const outage = await startRedisServer();
    const client = new Redis(outage.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => {}); // connection errors are the point of this test
    try {
      const store = createRedisTaskStore({ redis: client, prefix: uniquePrefix('ping'), retentionDays, clock: createManualClock(), logger, pingTimeoutMs: 300 });
      await store.ping();
      await outage.kill();
      await expect(store.ping()).rejects.toThrow();
      const ready = once(client, 'ready');
      await outage.restart();
      await ready;
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      client.disconnect();
      await outage.stop();
    }
  });

  // Last on purpose: it also catches strays left by every test before it.
  it('writes no key outside its prefix', async () => {
    const { store, prefix, clock } = setup();
    const records = Array.from({ length: 5 }, (_, i) => makeRecord(clock.now() + i, { owner: i % 2 ? 'alice' : 'bob' }));
    for (const record of records) await store.put(record);
    const [first, second] = records as [TaskRecord, TaskRecord];
    await store.updateState(first.id, { ...first.state, status: 'completed', progress: 100 }, clock.now());
    await store.delete(second.id);
    await store.list('alice', { limit: 2, order: 'desc' });
    clock.advance(retentionDays * DAY_MS);
    await store.list('bob', { limit: 2, order: 'asc' });

    const all = await keysUnder(redis, '');
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((key) => !key.startsWith(prefix))).toEqual([]);
  });
});

/**
 * A real three-node cluster, so a record and its owner index usually sit on
 * different nodes: anything that needed them in one command or one pipeline fails here.
 */
describe('on Redis Cluster', () => {
  let cluster: Cluster;
  useRedisCluster((c) => (cluster = c));

  describeTaskStoreContract('redis cluster', async ({ retentionDays }) =>
    harness(cluster, () => cluster.nodes('master'), retentionDays),
  );
  describeOutboxContract('redis cluster', async ({ retentionDays }) => harness(cluster, () => cluster.nodes('master'), retentionDays));

  it('hashes a job and an owner index by their hash tags', async () => {
    const prefix = uniquePrefix('slots');
    onTestFinished(async () => {
      await deleteUnder(cluster.nodes('master'), prefix);
    });
    const clock = createManualClock();
    const store = createRedisTaskStore({ redis: cluster, prefix, retentionDays: 1, clock, logger });
    const owner = 'team/ops {eu}: ünï';
    const record = makeRecord(clock.now(), { owner });
    await store.put(record);
    const slot = (key: string): Promise<unknown> => cluster.call('CLUSTER', 'KEYSLOT', key);
    expect(await slot(`${prefix}video:{${record.id}}`)).toBe(await slot(record.id));
    expect(await slot(`${prefix}owner:{${encodeURIComponent(owner)}}:videos`)).toBe(await slot(encodeURIComponent(owner)));
    expect(await store.get(record.id)).toStrictEqual(record);
  });
});
