import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type OpenAIShapedFake } from '../fakes/openai-upstream.js';
import { eventually, type RunningReelay } from '../helpers/reelay.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { assertNoLeak, assertStillServing, call, type Reply, snapshotPrototypes, startHostile, TEST_KEY, UPSTREAM_ID, UPSTREAM_KEYS } from './support.js';

/**
 * Spec K: the unauthenticated /readyz (readyz.details: false) says whether
 * Reelay can serve and nothing else: no provider ids, no credential
 * fingerprints, no store error text.
 */

const prototypes = snapshotPrototypes();
let fake: OpenAIShapedFake;
let reelay: RunningReelay;

beforeAll(async () => {
  fake = await startFakeOpenAI({ keys: [...UPSTREAM_KEYS] });
  reelay = await startHostile({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await reelay?.close();
  await fake?.close();
});

const digests = UPSTREAM_KEYS.map((k) => createHash('sha256').update(k).digest('hex').slice(0, 16));

/** Status only: `{status, ...}` and nothing that names a provider, a credential or a store error. */
function assertTerse(res: Reply, status: number): Record<string, unknown> {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type'] ?? '').toMatch(/^application\/json\b/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(typeof body.status).toBe('string');
  expect(res.text).not.toContain('sandbox');
  expect(res.text).not.toContain(UPSTREAM_ID);
  expect(res.text).not.toMatch(/[a-z0-9_-]+:[0-9a-f]{16}\b/);
  for (const d of digests) expect(res.text).not.toContain(d);
  expect(res.text).not.toMatch(/ECONN|closed|refused|redis|127\.0\.0\.1|timeout/i);
  expect(body).not.toHaveProperty('error');
  expect(body).not.toHaveProperty('providers');
  assertNoLeak(res.text);
  return body;
}

describe('K /readyz is terse', () => {
  it.each<[string, string, Record<string, string>]>([
    ['without any key', '/readyz', {}],
    ['with a gateway key', '/readyz', { authorization: `Bearer ${TEST_KEY}` }],
    ['asking for details in the query', '/readyz?details=true&verbose=1', {}],
  ])('%s', async (_label, path, headers) => {
    assertTerse(await call(reelay, 'GET', path, { key: null, headers }), 200);
  });

  it('still terse after a provider key was refused upstream (credential health changed)', async () => {
    fake.rejectKey(UPSTREAM_KEYS[0]);
    fake.rejectKey(UPSTREAM_KEYS[1]);
    const err = await reelay.client().videos.create({ prompt: 'refused upstream', model: 'upstream-video' }).catch((e: unknown) => e as { status?: number });
    expect((err as { status?: number }).status).toBeGreaterThanOrEqual(400);
    assertTerse(await call(reelay, 'GET', '/readyz', { key: null }), 200);
  });

  it('a store outage is 503 with no store error text', async () => {
    const redis: RedisServer = await startRedisServer();
    const onRedis = await startHostile({ store: `store:\n  type: redis\n  url: ${redis.url}\n  prefix: "${uniquePrefix('hostile-readyz')}"` });
    try {
      assertTerse(await call(onRedis, 'GET', '/readyz', { key: null }), 200);
      await redis.halt();
      const down = await eventually(async () => {
        const res = await call(onRedis, 'GET', '/readyz', { key: null, timeoutMs: 3000 });
        return res.status === 503 ? res : undefined;
      }, { timeoutMs: 5000, intervalMs: 100 });
      assertTerse(down, 503);
      await redis.restart();
    } finally {
      await onRedis.close();
      await redis.stop();
    }
  }, 20_000);
});

describe('after the readyz corpus', () => {
  it('is still alive and answering, prototypes untouched', async () => {
    await assertStillServing(reelay, prototypes);
  });
});
