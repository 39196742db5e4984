import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createMemoryDeliveryStore } from '../../src/webhooks/memory-delivery-store.js';
import { createRedisDeliveryStore, deliveryKeys } from '../../src/webhooks/redis-delivery-store.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, keysUnder, useRedisCluster, useRedisServer } from '../helpers/redis-suite.js';
import { createManualClock } from '../stores/task-store.contract.js';
import { deliveryEvent, describeDeliveryStoreContract, type DeliveryStoreHarness } from './delivery-store.contract.js';

/** The DeliveryStore contract on memory, one Redis and a real three-master Cluster, and the Redis layout. */

describeDeliveryStoreContract('memory', async ({ retentionDays }) => {
  const clock = createManualClock();
  return { store: createMemoryDeliveryStore({ clock, retentionDays }), clock, cleanup: async () => {} };
});

function redisHarness(client: Redis | Cluster, nodes: () => Redis[], retentionDays: number): DeliveryStoreHarness {
  const prefix = uniquePrefix('deliveries');
  const clock = createManualClock();
  return { store: createRedisDeliveryStore({ redis: client, prefix, retentionDays, clock }), clock, cleanup: () => deleteUnder(nodes(), prefix) };
}

describe('on one Redis', () => {
  let redis: Redis;
  useRedisServer((r) => (redis = r));
  describeDeliveryStoreContract('redis', async ({ retentionDays }) => redisHarness(redis, () => [redis], retentionDays));

  it('keeps an event in one hash and both indexes under one hash tag, with TTLs, and nothing outside its prefix', async () => {
    const prefix = uniquePrefix('layout');
    onTestFinished(() => deleteUnder([redis], prefix));
    const clock = createManualClock();
    const store = createRedisDeliveryStore({ redis, prefix, retentionDays: 3, clock });
    const event = deliveryEvent(clock.now());
    await store.open(event, [{ url: 'https://hooks.example.com/x', signers: ['key', 'global'] }], clock.now());
    const k = deliveryKeys(prefix);
    expect((await keysUnder(redis, prefix)).sort()).toEqual([k.event(event.eventId), k.byKey(event.keyId), k.recent].sort());
    expect(await redis.hgetall(k.event(event.eventId))).toMatchObject({ video_id: event.videoId, key_id: event.keyId, count: '1', '0:signers': 'key,global', '0:status': 'pending', '0:last_status_code': '' });
    for (const key of [k.event(event.eventId), k.byKey(event.keyId), k.recent]) {
      expect(await redis.pttl(key)).toBeGreaterThan(3 * 86_400_000 - 60_000);
    }
  });
});

describe('on Redis Cluster', () => {
  let cluster: Cluster;
  useRedisCluster((c) => (cluster = c));
  describeDeliveryStoreContract('redis cluster', async ({ retentionDays }) => redisHarness(cluster, () => cluster.nodes('master'), retentionDays));
});
