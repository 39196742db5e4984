import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingUpstream, type CountingUpstream } from '../fakes/counting-upstream.js';
import { startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { redisStore, sharedYaml, UPSTREAM_KEY } from '../helpers/shared-state.js';

/**
 * Issue 4's fan-in bound: 50 clients polling one job every 100 ms for 5 s
 * cause at most 5 s / poll.min_interval_ms + 2 upstream status calls. The
 * clients are split over two instances, so the bound holds across them too.
 */

const CLIENTS = 50;
const EVERY_MS = 100;
const WINDOW_MS = 5000;
const MIN_INTERVAL_MS = 1000;

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis?.stop());

describe.each([
  { label: 'default poll settings (stale_ms 2000)', poll: `  min_interval_ms: ${MIN_INTERVAL_MS}` },
  // Every client poll finds the record stale: only the lease's min-interval floor holds the upstream back.
  { label: 'stale_ms 0', poll: `  min_interval_ms: ${MIN_INTERVAL_MS}\n  stale_ms: 0` },
])('with $label', ({ poll }) => {
  let upstream: CountingUpstream;
  let instances: RunningReelay[];

  beforeAll(async () => {
    upstream = await startCountingUpstream({ apiKey: UPSTREAM_KEY, durationMs: Infinity });
    const yaml = sharedYaml({ store: redisStore(redis.url, uniquePrefix('fan-in')), upstream: upstream.baseURL, poll });
    // Request logs at info would make this one process spend its CPU on logging rather than serving.
    instances = await Promise.all([startReelay({ yaml, logLevel: 'warn' }), startReelay({ yaml, logLevel: 'warn' })]);
  });

  afterAll(async () => {
    await Promise.all(instances?.map((i) => i.close()) ?? []);
    await upstream?.close();
  });

  it(`keeps ${CLIENTS} clients polling one job every ${EVERY_MS} ms for ${WINDOW_MS / 1000} s within ${WINDOW_MS / MIN_INTERVAL_MS} + 2 upstream status calls`, async () => {
    const [a] = instances as [RunningReelay, RunningReelay];
    const created = await a.client().videos.create({ prompt: 'a job that takes its time' });
    const started = Date.now();
    const statuses: number[] = [];
    let withPollAfter = 0;

    const client = async (n: number): Promise<void> => {
      const instance = instances[n % instances.length]!;
      // Spread the clients over the first interval, as real clients would be.
      await new Promise((r) => setTimeout(r, (n * EVERY_MS) / CLIENTS));
      while (Date.now() - started < WINDOW_MS) {
        const tickStart = Date.now();
        const res = await fetch(`${instance.baseURL}/videos/${created.id}`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
        statuses.push(res.status);
        if (Number(res.headers.get('openai-poll-after-ms')) >= MIN_INTERVAL_MS) withPollAfter++;
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, Math.max(0, EVERY_MS - (Date.now() - tickStart))));
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const elapsed = Date.now() - started;

    const calls = upstream.statusCalls.length;
    // Issue 4's bound for the 5 s window, plus one call per whole second the last requests ran over it.
    const bound = WINDOW_MS / MIN_INTERVAL_MS + 2 + Math.floor(Math.max(0, elapsed - WINDOW_MS) / MIN_INTERVAL_MS);
    console.info(`fan-in: ${statuses.length} client polls in ${elapsed} ms caused ${calls} upstream status calls (bound ${bound})`);
    // All 51 parties share one process here, so the clients get fewer turns than 50/s each; still hundreds of polls.
    expect(statuses.length).toBeGreaterThan(CLIENTS * 10);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(withPollAfter).toBe(statuses.length);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(bound);
  });
});
