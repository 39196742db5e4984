import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingUpstream, type CountingUpstream } from '../fakes/counting-upstream.js';
import { eventually, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { redisStore, sharedYaml, UPSTREAM_KEY } from '../helpers/shared-state.js';

/**
 * Redis goes away in the middle of a test and comes back. While it is down
 * every API call answers 503 in the envelope, quickly, and /readyz says so;
 * once it is back, service resumes by itself and no job is lost. Redis runs
 * with the production setting `appendonly yes`, so a restart keeps its data.
 */

let redis: RedisServer;
let upstream: CountingUpstream;
let reelay: RunningReelay;
const auth = { authorization: `Bearer ${TEST_KEY}` };

beforeAll(async () => {
  redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  upstream = await startCountingUpstream({ apiKey: UPSTREAM_KEY, durationMs: 1500 });
  reelay = await startReelay({ yaml: sharedYaml({ store: redisStore(redis.url, uniquePrefix('outage')), upstream: upstream.baseURL }) });
});

afterAll(async () => {
  await reelay?.close();
  await upstream?.close();
  await redis?.stop();
});

/** A request, its status, its JSON body and how long it took. */
async function timed(path: string, init: RequestInit = {}): Promise<{ status: number; ms: number; headers: Headers; body: unknown }> {
  const started = Date.now();
  const res = await fetch(`${reelay.origin}${path}`, { ...init, headers: { ...auth, ...init.headers } });
  const body: unknown = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.arrayBuffer();
  return { status: res.status, ms: Date.now() - started, headers: res.headers, body };
}

const ready = () => eventually(async () => ((await fetch(`${reelay.origin}/readyz`)).status === 200 ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });

describe('Redis stopped and restarted', () => {
  it('answers 503 quickly while Redis is down, and serves every job again once it is back', async () => {
    const client = reelay.client();
    const before = await client.videos.create({ prompt: 'created before the outage' });
    const createsBefore = upstream.creates;

    await redis.halt();
    const readyz = await timed('/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.ms).toBeLessThan(2500);

    const json = { 'content-type': 'application/json' };
    const calls = [
      () => timed(`/v1/videos/${before.id}`),
      () => timed('/v1/videos'),
      () => timed(`/v1/videos/${before.id}/content`),
      () => timed('/v1/videos', { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'during the outage' }) }),
      () => timed(`/v1/videos/${before.id}/remix`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'x' }) }),
      () => timed(`/v1/videos/${before.id}`, { method: 'DELETE' }),
    ];
    for (const call of calls) {
      const res = await call();
      expect(res.status).toBe(503);
      expect(res.ms).toBeLessThan(1000);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.body).toEqual({ error: { message: expect.any(String), type: 'service_unavailable', param: null, code: 'store_unavailable' } });
    }
    // The create was refused before the upstream was asked: no orphan job.
    expect(upstream.creates).toBe(createsBefore);
    // The SDK sees a retryable server error, not a hang.
    await expect(client.videos.retrieve(before.id)).rejects.toBeInstanceOf(OpenAI.InternalServerError);

    // The background poller notices the outage on its next tick and pauses.
    await eventually(async () => (reelay.logs.some((l) => l.includes('background poller paused')) ? true : undefined));

    await redis.restart();
    await ready();
    const done = await eventually(async () => {
      const video = await client.videos.retrieve(before.id);
      return video.status === 'completed' ? video : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    expect(done.id).toBe(before.id);
    expect((await client.videos.list()).data.map((v) => v.id)).toContain(before.id);
    const after = await client.videos.create({ prompt: 'after the outage' });
    expect(after.status).toMatch(/queued|in_progress/);
    await eventually(async () => (reelay.logs.some((l) => l.includes('background poller resumed')) ? true : undefined));
  });

  it('keeps a job the upstream accepted while Redis blinked: the record write is retried until Redis is back', async () => {
    const createsBefore = upstream.creates;
    upstream.beforeCreateReply = async () => {
      await redis.halt();
      setTimeout(() => void redis.restart(), 300);
    };
    try {
      const video = await reelay.client().videos.create({ prompt: 'accepted during a blink' });
      expect(upstream.creates).toBe(createsBefore + 1);
      expect(reelay.logs.some((l) => l.includes('store write failed; retrying'))).toBe(true);
      expect((await reelay.runtime.store.get(video.id))?.upstreamId).toBe(upstream.jobIds().at(-1));
    } finally {
      upstream.beforeCreateReply = undefined;
      await ready();
    }
  });

  it('answers 503 with x-should-retry: false and logs the upstream id for reconciliation when Redis stays down', async () => {
    upstream.beforeCreateReply = () => redis.halt();
    try {
      const res = await timed('/v1/videos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'accepted, never recorded' }) });
      expect(res.status).toBe(503);
      expect(res.headers.get('x-should-retry')).toBe('false');
      expect(res.body).toMatchObject({ error: { type: 'service_unavailable', code: 'store_unavailable' } });
      const line = reelay.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reconcile !== undefined && l.level === 'error');
      expect(line).toMatchObject({ reconcile: { upstreamId: upstream.jobIds().at(-1), provider: 'upstream', owner: 'alice' } });
    } finally {
      upstream.beforeCreateReply = undefined;
      await redis.restart();
      await ready();
    }
  });
});
