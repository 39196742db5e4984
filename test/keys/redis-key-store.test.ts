import { Redis, type Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { KeyStore } from '../../src/keys/key-store.js';
import { createRedisKeyStore, keyRegistryKeys } from '../../src/keys/redis-key-store.js';
import { startRedisServer, uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, keysUnder, useRedisCluster, useRedisServer } from '../helpers/redis-suite.js';
import { auditOf, describeKeyStoreContract, newKey } from './key-store.contract.js';

const logger = createLogger('silent');

let redis: Redis;
useRedisServer((r) => (redis = r));

async function harness(client: Redis | Cluster, nodes: () => Redis[]) {
  const prefix = uniquePrefix('key-store');
  const opened: KeyStore[] = [];
  const open = async (): Promise<KeyStore> => {
    const store = await createRedisKeyStore({ redis: client, prefix, logger });
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    peer: open,
    async cleanup() {
      await Promise.all(opened.map((s) => s.close()));
      await deleteUnder(nodes(), prefix);
    },
  };
}

describeKeyStoreContract('redis', () => harness(redis, () => [redis]));

describe('redis KeyStore specifics', () => {
  const setup = async (options: { auditMaxEntries?: number; checkIntervalMs?: number } = {}) => {
    const prefix = uniquePrefix('keys-only');
    const store = await createRedisKeyStore({ redis, prefix, logger, ...options });
    onTestFinished(async () => {
      await store.close();
      await deleteUnder([redis], prefix);
    });
    return { store, prefix };
  };

  it('keeps every key of the registry under one hash tag, and writes nothing outside its prefix', async () => {
    const { store, prefix } = await setup();
    const record = newKey();
    await store.create(record, auditOf('key.create', record.id));
    await store.touch(record.id, Date.now());
    await store.appendAudit(auditOf('x.y', null));
    const keys = await keysUnder(redis, prefix);
    expect(keys.sort()).toEqual(
      [`key:${record.id}`, 'digests', 'names', 'order', 'used', 'audit', 'seq'].map((k) => `${prefix}{gatewaykeys}:${k}`).sort(),
    );
    expect((await keysUnder(redis, '')).filter((k) => k.includes('{gatewaykeys}') && !k.startsWith(prefix))).toEqual([]);
    // The record is a flat hash: each setting its own field, so scripts never decode JSON.
    expect(await redis.hgetall(`${prefix}{gatewaykeys}:key:${record.id}`)).toMatchObject({ id: record.id, digest: record.secretDigest, 's:poll_rpm': '600' });
  });

  it('caps the audit stream (MAXLEN ~)', async () => {
    const { store, prefix } = await setup({ auditMaxEntries: 100 });
    for (let i = 0; i < 400; i++) await store.appendAudit(auditOf('x.y', null, { i }));
    const length = await redis.xlen(`${prefix}{gatewaykeys}:audit`);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(300);
    expect((await store.listAudit({ limit: 1 })).data[0]!.changes).toEqual({ i: 399 });
  });

  it('tells listeners to drop everything when a change was missed (a write with no announcement)', async () => {
    const { store, prefix } = await setup({ checkIntervalMs: 50 });
    const heard: Array<string | undefined> = [];
    store.onChange((id) => heard.push(id));
    // What a lost PUBLISH looks like: the counter moved, no message came.
    await redis.incr(keyRegistryKeys(prefix).seq);
    await expect.poll(() => heard, { timeout: 1000 }).toContain(undefined);
  });

  it('says it is not live while Redis cannot be checked, drops everything on reconnect, and is live again', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', () => {}); // the outage is the point
    const store = await createRedisKeyStore({ redis: client, prefix: uniquePrefix('outage'), logger, checkIntervalMs: 50, staleAfterMs: 200 });
    onTestFinished(async () => {
      await store.close();
      client.disconnect();
      await server.stop();
    });
    const heard: Array<string | undefined> = [];
    store.onChange((id) => heard.push(id));
    expect(store.isLive()).toBe(true);
    await server.halt();
    await expect.poll(() => store.isLive(), { timeout: 2000 }).toBe(false);
    await server.restart();
    await expect.poll(() => store.isLive(), { timeout: 5000 }).toBe(true);
    expect(heard).toContain(undefined);
  });
});

describe('on Redis Cluster', () => {
  let cluster: Cluster;
  useRedisCluster((c) => (cluster = c));

  describeKeyStoreContract('redis cluster', () => harness(cluster, () => cluster.nodes('master')));

  it('puts every key of the registry in one slot, so one script can change them all', async () => {
    const prefix = uniquePrefix('slots');
    const store = await createRedisKeyStore({ redis: cluster, prefix, logger });
    onTestFinished(async () => {
      await store.close();
      await deleteUnder(cluster.nodes('master'), prefix);
    });
    const k = keyRegistryKeys(prefix);
    const slots = await Promise.all([k.record('key_x'), k.digests, k.names, k.order, k.used, k.audit, k.seq].map((key) => cluster.call('CLUSTER', 'KEYSLOT', key)));
    expect(new Set(slots).size).toBe(1);
  });
});
