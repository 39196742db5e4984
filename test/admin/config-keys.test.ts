import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayKeyListSchema } from '../../src/admin/schemas.js';
import { configKeyId } from '../../src/keys/ids.js';
import { assertEnvelope } from '../hostile/support.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { useRedisServer } from '../helpers/redis-suite.js';
import { redisStore } from '../helpers/shared-state.js';
import { adminClient, adminYaml } from './support.js';

/**
 * Config keys next to keys made through the API, on the Redis store and
 * across a restart: a config key keeps the videos it made before keys were
 * data (they are filed under its name), and a stored key survives a restart.
 */

let redis: Redis;
useRedisServer((r) => (redis = r));
let yaml: string;
let first: RunningReelay | undefined;
let second: RunningReelay | undefined;

beforeAll(() => {
  yaml = adminYaml({ store: redisStore(`redis://127.0.0.1:${redis.options.port}`, uniquePrefix('config-keys')) });
});
afterAll(async () => {
  await first?.close();
  await second?.close();
});

it('a config key still owns its videos after a restart; a stored key still works; neither sees the other', async () => {
  first = await startReelay({ yaml });
  const before = await first.client().videos.create({ prompt: 'made by alice, a config key' });
  expect((await first.runtime.store.get(before.id))?.owner).toBe('alice');
  const made = await adminClient(first).request('POST', '/keys', { name: 'stored' });
  const stored = made.json as { id: string; secret: string };
  const theirs = await first.client(stored.secret).videos.create({ prompt: 'made by a stored key' });
  await first.close();

  second = await startReelay({ yaml });
  const alice = second.client();
  expect((await alice.videos.retrieve(before.id)).id).toBe(before.id);
  expect((await alice.videos.list()).data.map((v) => v.id)).toEqual([before.id]);
  const storedClient = second.client(stored.secret);
  expect((await storedClient.videos.list()).data.map((v) => v.id)).toEqual([theirs.id]);
  await expect(storedClient.videos.retrieve(before.id)).rejects.toMatchObject({ status: 404 });

  const admin = adminClient(second);
  const page = GatewayKeyListSchema.parse((await admin.request('GET', '/keys')).json);
  expect(page.data.map((k) => [k.name, k.source, k.id])).toEqual([
    ['alice', 'config', configKeyId('alice')],
    ['bob', 'config', configKeyId('bob')],
    ['stored', 'api', stored.id],
  ]);
  // Uses are recorded off the request path, config keys' too.
  await expect.poll(async () => (await admin.request('GET', `/keys/${configKeyId('alice')}`)).json.last_used_at).not.toBeNull();
  assertEnvelope(await admin.request('POST', '/keys', { name: 'alice' }), { status: 409, code: 'key_name_taken' });
  assertEnvelope(await admin.request('PATCH', `/keys/${stored.id}`, { name: 'bob' }), { status: 409, code: 'key_name_taken' });
});
