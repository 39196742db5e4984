import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { errorHandlerPlugin } from '../../src/http/plugins/error-handler.js';
import { rateLimitPlugin } from '../../src/http/plugins/rate-limit.js';
import type { Principal } from '../../src/keys/principal.js';
import { rateLimitKey } from '../../src/ratelimit/redis-counter.js';
import { manualClock } from '../helpers/manual-clock.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, useOutageRedis, useRedisServer } from '../helpers/redis-suite.js';

/**
 * The rate-limit plugin over our store, in a Fastify app of its own: the
 * owner and its poll_rpm come from request headers instead of a gateway key.
 */

const START = Date.UTC(2026, 10, 1, 12, 0, 10);

let redis: Redis;
useRedisServer((r) => (redis = r));

async function limitedApp(client: Redis | undefined, prefix: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(errorHandlerPlugin, { jsonLimit: 1024, drain: { maxBytes: 1024, timeoutMs: 1000 } });
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const limit = request.headers['x-limit'];
    request.principal = { id: 'key_test', name: 'test', owner: String(request.headers['x-owner']), source: 'config', pollRpm: limit === undefined ? undefined : Number(limit) };
  });
  await app.register(async (reads) => {
    // A flush period longer than any test: flushes happen only on close.
    await reads.register(rateLimitPlugin, { redis: client, prefix, bucket: 'poll', clock: manualClock(START), flushMs: 3_600_000 });
    reads.get('/r', async () => ({ ok: true }));
  });
  onTestFinished(() => app.close());
  return app;
}

const get = (app: FastifyInstance, owner: string, limit?: number) =>
  app.inject({ method: 'GET', url: '/r', headers: { 'x-owner': owner, ...(limit === undefined ? {} : { 'x-limit': String(limit) }) } });

describe('rate-limit plugin over the shared counter', () => {
  for (const [label, withRedis] of [['on Redis', true], ['in process (memory store)', false]] as const) {
    it(`answers the plugin's headers and the 429 envelope ${label}`, async () => {
      const prefix = uniquePrefix('rl-store');
      onTestFinished(() => deleteUnder([redis], prefix));
      const app = await limitedApp(withRedis ? redis : undefined, prefix);
      for (let i = 1; i <= 10; i++) {
        const res = await get(app, 'alice', 10);
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBe('10');
        // Below half on Redis these are local estimates; with one instance they are exact all the same.
        expect(res.headers['x-ratelimit-remaining']).toBe(String(10 - i));
        // The manual clock stands still: the window opened by the first request has all of its minute left.
        expect(res.headers['x-ratelimit-reset']).toBe('60');
      }
      const over = await get(app, 'alice', 10);
      expect(over.statusCode).toBe(429);
      expect(over.headers['retry-after']).toBe('60');
      expect(over.headers['x-ratelimit-remaining']).toBe('0');
      expect(over.json()).toEqual({ error: { message: expect.stringContaining('10 status, list and content requests per minute for this API key. Retry after 60 s.'), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } });
      // Another owner has its own count; a key without a limit is not counted at all.
      expect((await get(app, 'bob', 10)).headers['x-ratelimit-remaining']).toBe('9');
      expect((await get(app, 'carol')).headers['x-ratelimit-limit']).toBeUndefined();
      expect(await redis.get(rateLimitKey(`${prefix}ratelimit:poll:`, 'alice'))).toBe(withRedis ? '11' : null);
      expect(await redis.get(rateLimitKey(`${prefix}ratelimit:poll:`, 'carol'))).toBeNull();
    });
  }

  it('sends the counts made in process to Redis when the app closes', async () => {
    const prefix = uniquePrefix('rl-store');
    onTestFinished(() => deleteUnder([redis], prefix));
    const app = await limitedApp(redis, prefix);
    for (let i = 0; i < 3; i++) expect((await get(app, 'alice', 100)).statusCode).toBe(200);
    const key = rateLimitKey(`${prefix}ratelimit:poll:`, 'alice');
    expect(await redis.get(key)).toBe('1');
    await app.close();
    expect(await redis.get(key)).toBe('3');
  });

  it('lets requests go on while Redis cannot count, as before', async () => {
    const { outage, client } = await useOutageRedis();
    const app = await limitedApp(client, uniquePrefix('rl-down'));
    await outage.kill();
    await expect.poll(() => client.status).not.toBe('ready');
    for (let i = 0; i < 5; i++) expect((await get(app, 'alice', 2)).statusCode).toBe(200);
    // The final flush on close meets the same outage and does not throw either.
    await app.close();
  });
});
