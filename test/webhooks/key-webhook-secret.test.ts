import type { Cluster, Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyAdmin } from '../../src/keys/key-admin.js';
import type { KeyStore } from '../../src/keys/key-store.js';
import { createMemoryKeyStore } from '../../src/keys/memory-key-store.js';
import { createRedisKeyStore } from '../../src/keys/redis-key-store.js';
import { createLogger } from '../../src/logger.js';
import { mintWebhookSecret } from '../../src/webhooks/secret.js';
import { manualClock } from '../helpers/manual-clock.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, useRedisCluster, useRedisServer } from '../helpers/redis-suite.js';
import { auditOf, newKey } from '../keys/key-store.contract.js';

/**
 * A key's webhook secret in the key registry (memory, Redis, Cluster): held
 * beside the key, set only when the key has none, dropped when asked, never
 * in an audit entry; and minted by key management when webhook_url is set.
 */

interface Harness {
  store: KeyStore;
  cleanup(): Promise<void>;
}

function describeWebhookSecretStore(name: string, factory: () => Promise<Harness>): void {
  describe(`KeyStore webhook secret: ${name}`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(() => h.cleanup());

    it('is stored with the key, kept against a second offer, dropped on request, then offered anew', async () => {
      const [first, second, third] = [mintWebhookSecret(), mintWebhookSecret(), mintWebhookSecret()];
      const record = newKey({ settings: { poll_rpm: 600, webhook_url: 'https://hooks.example.com/a' }, webhookSecret: first });
      await h.store.create(record, auditOf('key.create', record.id));
      expect((await h.store.get(record.id))?.webhookSecret).toBe(first);
      const kept = await h.store.update(record.id, { set: { rpm: 3 }, clear: [], webhookSecret: second }, auditOf('key.update', record.id));
      expect(kept.ok && kept.record.webhookSecret).toBe(first);
      const dropped = await h.store.update(record.id, { set: {}, clear: ['webhook_url'], webhookSecret: null }, auditOf('key.update', record.id));
      expect(dropped.ok && dropped.record.webhookSecret).toBeUndefined();
      expect((await h.store.get(record.id))?.webhookSecret).toBeUndefined();
      await h.store.update(record.id, { set: { webhook_url: 'https://hooks.example.com/b' }, clear: [], webhookSecret: third }, auditOf('key.update', record.id));
      expect((await h.store.findByDigest(record.secretDigest))?.webhookSecret).toBe(third);
      // Updates that do not name it leave it alone.
      await h.store.update(record.id, { set: { rpm: 4 }, clear: [] }, auditOf('key.update', record.id));
      expect((await h.store.get(record.id))?.webhookSecret).toBe(third);
      const audit = JSON.stringify((await h.store.listAudit({ limit: 100 })).data);
      for (const secret of [first, second, third]) expect(audit).not.toContain(secret);
    });
  });
}

describeWebhookSecretStore('memory', async () => ({ store: createMemoryKeyStore(), cleanup: async () => {} }));

const redisHarness = async (client: Redis | Cluster, nodes: () => Redis[]): Promise<Harness> => {
  const prefix = uniquePrefix('key-webhooks');
  const store = await createRedisKeyStore({ redis: client, prefix, logger: createLogger('silent') });
  return {
    store,
    async cleanup() {
      await store.close();
      await deleteUnder(nodes(), prefix);
    },
  };
};

describe('on one Redis', () => {
  let redis: Redis;
  useRedisServer((r) => (redis = r));
  describeWebhookSecretStore('redis', () => redisHarness(redis, () => [redis]));
});

describe('on Redis Cluster', () => {
  let cluster: Cluster;
  useRedisCluster((c) => (cluster = c));
  describeWebhookSecretStore('redis cluster', () => redisHarness(cluster, () => cluster.nodes('master')));
});

describe('key management mints a webhook secret', () => {
  const ctx = { actor: 'root', client_ip: '127.0.0.1', request_id: 'req_test' };
  const setup = () => {
    const store = createMemoryKeyStore();
    const admin = createKeyAdmin({ config: { keys: [], models: { 'sora-2': [] } }, store, clock: manualClock() });
    return { store, admin };
  };

  it('when a key is created with a webhook_url, and only then', async () => {
    const { store, admin } = setup();
    const withUrl = await admin.create({ name: 'hooked', webhook_url: 'https://hooks.example.com/a' }, ctx);
    expect(withUrl.webhookSecret).toMatch(/^whsec_/);
    expect((await store.get(withUrl.key.id))?.webhookSecret).toBe(withUrl.webhookSecret);
    expect((await admin.create({ name: 'plain' }, ctx)).webhookSecret).toBeUndefined();
  });

  it('when an update sets the first webhook_url; not when it changes it; anew after it was cleared', async () => {
    const { store, admin } = setup();
    const { key } = await admin.create({ name: 'later' }, ctx);
    const set = await admin.update(key.id, { webhook_url: 'https://hooks.example.com/a' }, ctx);
    expect(set.webhookSecret).toMatch(/^whsec_/);
    const changed = await admin.update(key.id, { webhook_url: 'https://hooks.example.com/b' }, ctx);
    expect(changed.webhookSecret).toBeUndefined();
    expect((await store.get(key.id))?.webhookSecret).toBe(set.webhookSecret);
    expect((await admin.update(key.id, { webhook_url: null }, ctx)).webhookSecret).toBeUndefined();
    expect((await store.get(key.id))?.webhookSecret).toBeUndefined();
    const again = await admin.update(key.id, { webhook_url: 'https://hooks.example.com/c' }, ctx);
    expect(again.webhookSecret).toMatch(/^whsec_/);
    expect(again.webhookSecret).not.toBe(set.webhookSecret);
  });
});
