import OpenAI, { type APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type OpenAIShapedFake } from '../fakes/openai-upstream.js';
import { manualClock } from '../helpers/manual-clock.js';
import { eventually, startReelay, type RunningReelay } from '../helpers/reelay.js';
import { redisStore } from '../helpers/shared-state.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';

/**
 * Budgets through the front door with the official SDK: reservations, the
 * exact 429, release on a refused create and on a failed job, settlement on
 * completion, the UTC day window, USD pricing, GET /v1/reelay/key, and two
 * instances racing for the last seconds of one budget.
 */

const DAY_KEY = 'sk-test-budget-day-000001';
const USD_KEY = 'sk-test-budget-usd-000002';
const FREE_KEY = 'sk-test-budget-none-00003';
const UPSTREAM_KEY = 'sk-upstream-budget-00001';

const keysYaml = `
keys:
  - name: daily
    key: ${DAY_KEY}
    seconds_per_day: 12
    seconds_per_month: 100
    poll_rpm: 100000
  - name: dollars
    key: ${USD_KEY}
    usd_per_month: 1
  - name: free
    key: ${FREE_KEY}
`;

const yaml = (store: string, upstream: string, generationSeconds = 0.2) => `
${store}
${keysYaml}
poll:
  initial_ms: 100
  max_ms: 200
  stale_ms: 0
  min_interval_ms: 0
pricing:
  sora-2:
    usd_per_second: 0.1
    sizes:
      1792x1024: 0.2
providers:
  - id: sandbox
    type: sandbox
    generation_seconds: ${generationSeconds}
  - id: upstream
    type: openai
    base_url: ${upstream}
    api_keys: [${UPSTREAM_KEY}]
    timeout_ms: 2000
models:
  sora-2:
    - provider: sandbox
  unpriced:
    - provider: sandbox
  upstream-model:
    - provider: upstream
      model: sora-2
`;

const errorOf = async (p: Promise<unknown>): Promise<APIError> => (await p.then(() => undefined, (e: unknown) => e)) as APIError;

async function keyInfo(reelay: RunningReelay, key: string) {
  const res = await fetch(`${reelay.baseURL}/reelay/key`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    remaining: { seconds_day: number | null; seconds_month: number | null; usd_month: number | null };
    usage: { day: { jobs: number; seconds: number; usd: number }; month: { jobs: number; seconds: number; usd: number } };
    limits: Record<string, unknown>;
    id: string;
    name: string;
  };
}

async function untilTerminal(client: OpenAI, id: string) {
  return eventually(async () => {
    const v = await client.videos.retrieve(id);
    return v.status === 'completed' || v.status === 'failed' ? v : undefined;
  });
}

describe('budgets on one instance (memory store)', () => {
  let fake: OpenAIShapedFake;
  let reelay: RunningReelay;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ keys: [UPSTREAM_KEY] });
    reelay = await startReelay({ yaml: yaml('store:\n  type: memory', fake.url) });
  });
  afterAll(async () => {
    await reelay?.close();
    await fake?.close();
  });

  it('reserves each create, says what is left, then refuses with the exact 429 that the SDK does not retry', async () => {
    const client = reelay.client(DAY_KEY, { maxRetries: 2 });
    const first = await client.videos.create({ prompt: 'one', seconds: '8' }).withResponse();
    expect(first.response.headers.get('x-reelay-seconds-remaining-day')).toBe('4');
    expect(first.response.headers.get('x-reelay-seconds-remaining-month')).toBe('92');
    const before = reelay.logs.length;
    const err = await errorOf(client.videos.create({ prompt: 'two', seconds: '8' }));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.error).toEqual({
      message: expect.stringMatching(/^This API key has 4 of its 12 video-seconds per day left; this request needs 8\. The day resets at \d{4}-\d\d-\d\dT00:00:00\.000Z\.$/),
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    });
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(err.headers?.get('x-reelay-seconds-remaining-day')).toBe('4');
    // One request reached Reelay: the SDK honoured x-should-retry even with maxRetries 2.
    const creates = reelay.logs.slice(before).filter((l) => l.includes('"request completed"') && l.includes('"method":"POST"'));
    expect(creates).toHaveLength(1);
    // Four seconds still fit.
    const small = await client.videos.create({ prompt: 'three', seconds: '4' }).withResponse();
    expect(small.response.headers.get('x-reelay-seconds-remaining-day')).toBe('0');
    await untilTerminal(client, first.data.id);
    await untilTerminal(client, small.data.id);
  });

  it('puts the remaining-seconds headers on reads too, and shows the key its own figures', async () => {
    const client = reelay.client(DAY_KEY);
    const page = await client.videos.list().withResponse();
    expect(page.response.headers.get('x-reelay-seconds-remaining-day')).toBe('0');
    const info = await keyInfo(reelay, DAY_KEY);
    expect(info).toMatchObject({
      name: 'daily',
      limits: { seconds_per_day: 12, seconds_per_month: 100, usd_per_month: null, rpm: null, poll_rpm: 100000 },
      remaining: { seconds_day: 0, seconds_month: 88, usd_month: null },
      usage: { day: { jobs: 2, seconds: 12 }, month: { jobs: 2, seconds: 12 } },
    });
    expect(info.id).toMatch(/^key_[0-9A-Za-z]{24}$/);
  });

  it('sends no budget headers to a key without budgets', async () => {
    const res = await reelay.client(FREE_KEY).videos.list().withResponse();
    expect(res.response.headers.get('x-reelay-seconds-remaining-day')).toBeNull();
    expect((await keyInfo(reelay, FREE_KEY)).remaining).toEqual({ seconds_day: null, seconds_month: null, usd_month: null });
  });

  it('prices by model and size, refuses an unpriced model for a USD budget, and stops at the monthly dollars', async () => {
    const client = reelay.client(USD_KEY);
    const err = await errorOf(client.videos.create({ prompt: 'x', model: 'unpriced' }));
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe('model_not_priced');
    // 4 s at $0.20 (the 1792x1024 price) = $0.80, leaving $0.20.
    const wide = await client.videos.create({ prompt: 'wide', size: '1792x1024' }).withResponse();
    expect(wide.response.headers.get('x-reelay-usd-remaining-month')).toBe('0.200000');
    const over = await errorOf(client.videos.create({ prompt: 'more' }));
    expect(over.status).toBe(429);
    expect(over.message).toContain('This API key has $0.20 of its $1.00 monthly budget left; this request is estimated at $0.40.');
    await untilTerminal(client, wide.data.id);
  });

  it('gives the seconds back at once when the provider refuses the create', async () => {
    const fresh = await startReelay({ yaml: yaml('store:\n  type: memory', fake.url) });
    try {
      const c = fresh.client(DAY_KEY);
      fake.failNext('create', { status: 400, body: { error: { message: 'bad prompt', type: 'invalid_request_error', param: 'prompt', code: null } } });
      const err = await errorOf(c.videos.create({ prompt: 'refused', model: 'upstream-model', seconds: '8' }));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((await keyInfo(fresh, DAY_KEY)).remaining.seconds_day).toBe(12);
      expect((await keyInfo(fresh, DAY_KEY)).usage.day.jobs).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('releases a failed job and settles a completed one to the seconds the provider delivered', async () => {
    const fresh = await startReelay({ yaml: yaml('store:\n  type: memory', fake.url) });
    try {
      const c = fresh.client(DAY_KEY);
      const failed = await c.videos.create({ prompt: 'this one will [fail]', seconds: '8' });
      expect((await keyInfo(fresh, DAY_KEY)).remaining.seconds_day).toBe(4);
      expect((await untilTerminal(c, failed.id)).status).toBe('failed');
      await eventually(async () => ((await keyInfo(fresh, DAY_KEY)).remaining.seconds_day === 12 ? true : undefined));
      const done = await c.videos.create({ prompt: 'upstream makes it', model: 'upstream-model', seconds: '8' });
      expect((await untilTerminal(c, done.id)).status).toBe('completed');
      const info = await keyInfo(fresh, DAY_KEY);
      expect(info.usage.day).toMatchObject({ jobs: 2, seconds: 8 });
      expect(info.remaining.seconds_day).toBe(4);
    } finally {
      await fresh.close();
    }
  });
});

describe('the UTC day window (injected clock)', () => {
  it('refuses at 23:59:50 and admits again once the clock passes midnight; the month keeps counting', async () => {
    const clock = manualClock(Date.UTC(2026, 11, 2, 23, 59, 50));
    const fake = await startFakeOpenAI({ keys: [UPSTREAM_KEY] });
    const reelay = await startReelay({ yaml: yaml('store:\n  type: memory', fake.url, 3600), clock });
    try {
      const client = reelay.client(DAY_KEY);
      await client.videos.create({ prompt: 'a', seconds: '12' });
      const err = await errorOf(client.videos.create({ prompt: 'b', seconds: '4' }));
      expect(err.message).toContain('The day resets at 2026-12-03T00:00:00.000Z.');
      clock.advance(10_000);
      const next = await client.videos.create({ prompt: 'c', seconds: '4' }).withResponse();
      expect(next.response.headers.get('x-reelay-seconds-remaining-day')).toBe('8');
      expect(next.response.headers.get('x-reelay-seconds-remaining-month')).toBe('84');
    } finally {
      await reelay.close();
      await fake.close();
    }
  });
});

describe('two instances on one Redis', () => {
  let redis: RedisServer;
  let fake: OpenAIShapedFake;
  beforeAll(async () => {
    redis = await startRedisServer();
    fake = await startFakeOpenAI({ keys: [UPSTREAM_KEY] });
  });
  afterAll(async () => {
    await fake?.close();
    await redis?.stop();
  });

  it('never admits more than the budget when 20 creates race for its last 30 seconds', async () => {
    const store = redisStore(redis.url, uniquePrefix('race'));
    const config = yaml(store, fake.url, 3600).replace('seconds_per_day: 12', 'seconds_per_day: 34');
    const [a, b] = await Promise.all([startReelay({ yaml: config }), startReelay({ yaml: config })]);
    try {
      // 4 of the 34 seconds are spent first: 30 are left for the race.
      await a.client(DAY_KEY).videos.create({ prompt: 'warm-up', seconds: '4' });
      const attempts = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).client(DAY_KEY).videos.create({ prompt: `race ${i}`, seconds: '4' }));
      const settled = await Promise.allSettled(attempts);
      const admitted = settled.filter((s) => s.status === 'fulfilled');
      const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(admitted).toHaveLength(7);
      expect(refused.every((r) => (r.reason as APIError).code === 'insufficient_quota')).toBe(true);
      for (const instance of [a, b]) {
        expect((await keyInfo(instance, DAY_KEY)).usage.day).toMatchObject({ jobs: 8, seconds: 32 });
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
