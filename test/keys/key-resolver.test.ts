import type { Redis } from 'ioredis';
import { Redis as RedisClient } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { KeyConfig } from '../../src/config/schema.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { configKeyId, mintSecret } from '../../src/keys/ids.js';
import { createKeyResolver, type KeyResolver } from '../../src/keys/key-resolver.js';
import type { KeyPatch, KeyStore } from '../../src/keys/key-store.js';
import { createMemoryKeyStore } from '../../src/keys/memory-key-store.js';
import { createRedisKeyStore } from '../../src/keys/redis-key-store.js';
import { createLogger } from '../../src/logger.js';
import { manualClock } from '../helpers/manual-clock.js';
import { startRedisServer, uniquePrefix } from '../helpers/redis-server.js';
import { useRedisServer } from '../helpers/redis-suite.js';
import { msUntil } from '../admin/support.js';
import { auditOf, digestOf, newKey } from './key-store.contract.js';

const logger = createLogger('silent');
const CONFIG_SECRET = 'sk-config-key-resolver-0001';
const configKeys: readonly KeyConfig[] = parseConfig(
  `keys:\n  - name: cfg\n    key: ${CONFIG_SECRET}\n    rpm: 3\nproviders:\n  - id: s\n    type: sandbox\nmodels:\n  m:\n    - provider: s\n`,
  {},
).keys;

const refused = (code: string) => expect.objectContaining({ status: 401, code });

/** Creates a stored key with a known secret through `store`. */
async function storedKey(store: KeyStore, settings: Record<string, unknown> = {}) {
  const secret = mintSecret();
  const record = newKey({ settings: { poll_rpm: 600, ...settings } }, secret);
  const result = await store.create(record, auditOf('key.create', record.id));
  if (!result.ok) throw new Error(result.reason);
  return { secret, record };
}

const rejectsWith = async (r: KeyResolver, secret: string, code: string): Promise<boolean> =>
  r.authenticate(secret).then(
    () => false,
    (err: { code?: string }) => err.code === code,
  );

describe('with the memory store', () => {
  it('authenticates config keys and stored keys, principals as the rest of Reelay expects them', async () => {
    const store = createMemoryKeyStore();
    const resolver = createKeyResolver({ configKeys, store, clock: manualClock(), logger });
    const { secret, record } = await storedKey(store, { rpm: 7, models: ['m'] });
    expect(await resolver.authenticate(CONFIG_SECRET)).toMatchObject({ id: configKeyId('cfg'), name: 'cfg', owner: 'cfg', source: 'config', rpm: 3 });
    expect(await resolver.authenticate(secret)).toMatchObject({ id: record.id, name: record.name, owner: record.id, source: 'api', rpm: 7, pollRpm: 600, models: ['m'] });
    await expect(resolver.authenticate(mintSecret())).rejects.toEqual(refused('invalid_api_key'));
  });

  it('says why a key is refused: disabled, expired, revoked', async () => {
    const clock = manualClock();
    const store = createMemoryKeyStore();
    const resolver = createKeyResolver({ configKeys, store, clock, logger });
    const { secret, record } = await storedKey(store, { expires_at: Math.floor(clock.now() / 1000) + 60 });
    await resolver.authenticate(secret);
    await store.update(record.id, { set: { disabled: true }, clear: [] }, auditOf('key.update', record.id));
    await expect(resolver.authenticate(secret)).rejects.toEqual(refused('key_disabled'));
    await store.update(record.id, { set: {}, clear: ['disabled'] }, auditOf('key.update', record.id));
    clock.advance(60_000);
    await expect(resolver.authenticate(secret)).rejects.toEqual(refused('key_expired'));
    await store.revoke(record.id, auditOf('key.revoke', record.id));
    await expect(resolver.authenticate(secret)).rejects.toEqual(refused('invalid_api_key'));
  });

  it('accepts both secrets during the grace period (injected clock), then only the new one', async () => {
    const clock = manualClock();
    const store = createMemoryKeyStore();
    const resolver = createKeyResolver({ configKeys, store, clock, logger });
    const { secret: old, record } = await storedKey(store);
    await resolver.authenticate(old);
    const fresh = mintSecret();
    await store.rotate(record.id, { secretDigest: digestOf(fresh), secretTail: fresh.slice(-4), previousExpiresAt: clock.now() + 3_600_000 }, auditOf('key.rotate', record.id));
    clock.advance(3_599_999);
    expect((await resolver.authenticate(old)).id).toBe(record.id);
    expect((await resolver.authenticate(fresh)).id).toBe(record.id);
    clock.advance(1);
    await expect(resolver.authenticate(old)).rejects.toEqual(refused('invalid_api_key'));
    expect((await resolver.authenticate(fresh)).id).toBe(record.id);
  });

  it('does not cache what a lookup read before a change it overlapped', async () => {
    const store = createMemoryKeyStore();
    const resolver = createKeyResolver({ configKeys, store, clock: manualClock(), logger });
    const { secret, record } = await storedKey(store);
    // The lookup reads the record at once; the revoke lands before its answer is cached.
    const inFlight = resolver.authenticate(secret);
    await store.revoke(record.id, auditOf('key.revoke', record.id));
    expect((await inFlight).id).toBe(record.id);
    await expect(resolver.authenticate(secret)).rejects.toEqual(refused('invalid_api_key'));
  });

  it('records a use at most once a minute, off the request path', async () => {
    const clock = manualClock();
    const store = createMemoryKeyStore();
    const resolver = createKeyResolver({ configKeys, store, clock, logger });
    const { secret, record } = await storedKey(store);
    const t0 = clock.now();
    await resolver.authenticate(secret);
    await resolver.authenticate(CONFIG_SECRET);
    await expect.poll(async () => (await store.get(record.id))?.lastUsedAt).toBe(t0);
    expect(await store.lastUsed([configKeyId('cfg')])).toEqual([t0]);
    clock.advance(30_000);
    await resolver.authenticate(secret);
    clock.advance(29_999);
    await resolver.authenticate(secret);
    await new Promise((r) => setImmediate(r));
    expect((await store.get(record.id))?.lastUsedAt).toBe(t0);
    clock.advance(1);
    await resolver.authenticate(secret);
    await expect.poll(async () => (await store.get(record.id))?.lastUsedAt).toBe(t0 + 60_000);
  });
});

describe('two instances on one Redis', () => {
  let redis: Redis;
  useRedisServer((r) => (redis = r));
  let a: KeyStore;
  let b: KeyStore;
  let resolverB: KeyResolver;
  const measured: Record<string, number> = {};

  beforeAll(async () => {
    const prefix = uniquePrefix('resolver');
    [a, b] = await Promise.all([createRedisKeyStore({ redis, prefix, logger }), createRedisKeyStore({ redis, prefix, logger })]);
    resolverB = createKeyResolver({ configKeys, store: b, clock: manualClock(Date.now()), logger });
  });
  afterAll(async () => {
    resolverB?.close();
    await Promise.all([a?.close(), b?.close()]);
    console.log(`key change reached the other instance after (ms): ${JSON.stringify(measured)}`);
  });

  const calls = async (command: string): Promise<number> => {
    const stats = (await redis.info('commandstats')) as string;
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  };

  it('makes no Redis round trip per request in steady state', async () => {
    const announced = new Promise<void>((resolve) => {
      const detach = b.onChange(() => (detach(), resolve()));
    });
    const { secret, record } = await storedKey(a);
    await announced;
    await resolverB.authenticate(secret);
    await resolverB.authenticate(CONFIG_SECRET);
    // The first uses are recorded off the request path; let them land before counting.
    await expect.poll(async () => [(await b.get(record.id))?.lastUsedAt, ...(await b.lastUsed([configKeyId('cfg')]))].includes(null)).toBe(false);
    const [hgetall, hget] = [await calls('hgetall'), await calls('hget')];
    for (let i = 0; i < 200; i++) {
      await resolverB.authenticate(secret);
      await resolverB.authenticate(CONFIG_SECRET);
    }
    expect([await calls('hgetall'), await calls('hget')]).toEqual([hgetall, hget]);
  });

  const changes: Array<[string, (id: string) => Parameters<KeyStore['update']>[1] | 'revoke' | 'rotate', string]> = [
    ['revoke', () => 'revoke', 'invalid_api_key'],
    ['disable', () => ({ set: { disabled: true }, clear: [] }) satisfies KeyPatch, 'key_disabled'],
    ['expire', () => ({ set: { expires_at: 1 }, clear: [] }) satisfies KeyPatch, 'key_expired'],
    ['rotate without grace', () => 'rotate', 'invalid_api_key'],
  ];
  it.each(changes)('a %s on one instance refuses the key on the other within 1 s', async (label, change, code) => {
    const { secret, record } = await storedKey(a);
    await resolverB.authenticate(secret);
    const how = change(record.id);
    const started = performance.now();
    if (how === 'revoke') await a.revoke(record.id, auditOf('key.revoke', record.id));
    else if (how === 'rotate') await a.rotate(record.id, { secretDigest: digestOf(mintSecret()), secretTail: 'abcd' }, auditOf('key.rotate', record.id));
    else await a.update(record.id, how, auditOf('key.update', record.id));
    const ms = await msUntil(() => rejectsWith(resolverB, secret, code), started);
    measured[label] = Math.round(ms * 10) / 10;
    expect(ms).toBeLessThan(1000);
  });

  it('a limit change on one instance reaches the other within 1 s', async () => {
    const { secret, record } = await storedKey(a, { rpm: 5 });
    expect((await resolverB.authenticate(secret)).rpm).toBe(5);
    await a.update(record.id, { set: { rpm: 1, models: ['m'] }, clear: [] }, auditOf('key.update', record.id));
    const ms = await msUntil(async () => (await resolverB.authenticate(secret)).rpm === 1);
    measured['limit change'] = Math.round(ms * 10) / 10;
    expect(ms).toBeLessThan(1000);
    expect((await resolverB.authenticate(secret)).models).toEqual(['m']);
  });

  it('a key created on one instance works on the other at once, though the other had cached its absence', async () => {
    const secret = mintSecret();
    await expect(resolverB.authenticate(secret)).rejects.toEqual(refused('invalid_api_key'));
    const record = newKey({}, secret);
    const started = performance.now();
    await a.create(record, auditOf('key.create', record.id));
    const ms = await msUntil(async () => (await resolverB.authenticate(secret).catch(() => undefined))?.id === record.id, started);
    measured['create after a cached miss'] = Math.round(ms * 10) / 10;
    expect(ms).toBeLessThan(1000);
  });
});

it('stands the cache aside while the change feed cannot be checked: a Redis outage is 503, not a stale answer', async () => {
  const server = await startRedisServer();
  const client = new RedisClient(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50, enableOfflineQueue: false });
  client.on('error', () => {}); // the outage is the point
  const store = await createRedisKeyStore({ redis: client, prefix: uniquePrefix('blind'), logger, checkIntervalMs: 50, staleAfterMs: 200 });
  const resolver = createKeyResolver({ configKeys, store, clock: manualClock(), logger });
  onTestFinished(async () => {
    resolver.close();
    await store.close();
    client.disconnect();
    await server.stop();
  });
  const { secret } = await storedKey(store);
  await resolver.authenticate(secret);
  await server.halt();
  await expect.poll(() => store.isLive(), { timeout: 2000 }).toBe(false);
  await expect(resolver.authenticate(secret)).rejects.toBeInstanceOf(ServiceUnavailableError);
  // Config keys need no store.
  expect((await resolver.authenticate(CONFIG_SECRET)).name).toBe('cfg');
  // Back, it asks Redis again; the private server kept nothing, so the key is simply unknown now.
  await server.restart();
  await expect.poll(() => resolver.authenticate(secret).catch((err: { code?: string }) => err.code), { timeout: 5000 }).toBe('invalid_api_key');
});
