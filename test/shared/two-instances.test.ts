import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT, startCountingUpstream, type CountingUpstream, type StatusCall } from '../fakes/counting-upstream.js';
import { eventually, startReelay, type RunningReelay } from '../helpers/reelay.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { redisStore, sharedYaml, UPSTREAM_KEY } from '../helpers/shared-state.js';

/**
 * Two Reelay instances in this process, each on its own port, sharing one
 * real Redis and one counting upstream: everything a load balancer could send
 * to either instance must look like one gateway.
 */

const LIMITED_KEY = 'sk-test-limited-rpm-3';
const POLLER_KEY = 'sk-test-poll-rpm-4';
const SINGLE_KEY = 'sk-test-max-concurrent-1';
const BURST_KEY = 'sk-test-poll-rpm-40';
const BURST_RPM = 40;
const KEYS = `  - name: burst
    key: ${BURST_KEY}
    poll_rpm: ${BURST_RPM}
  - name: limited
    key: ${LIMITED_KEY}
    rpm: 3
    poll_rpm: 100000
  - name: poller
    key: ${POLLER_KEY}
    poll_rpm: 4
  - name: single
    key: ${SINGLE_KEY}
    max_concurrent: 1
    poll_rpm: 100000`;
const MIN_INTERVAL_MS = 200;

let redis: RedisServer;
let upstream: CountingUpstream;
let a: RunningReelay;
let b: RunningReelay;

const config = (prefix: string, up: CountingUpstream) => sharedYaml({ store: redisStore(redis.url, prefix), upstream: up.baseURL, keys: KEYS });

beforeAll(async () => {
  redis = await startRedisServer();
  upstream = await startCountingUpstream({ apiKey: UPSTREAM_KEY, durationMs: 1500 });
  const yaml = config(uniquePrefix('two'), upstream);
  [a, b] = await Promise.all([startReelay({ yaml }), startReelay({ yaml })]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await upstream?.close();
  await redis?.stop();
});

async function completed(client: OpenAI, id: string): Promise<OpenAI.Videos.Video> {
  return eventually(async () => {
    const video = await client.videos.retrieve(id);
    return video.status === 'completed' ? video : undefined;
  }, { timeoutMs: 15_000, intervalMs: 50 });
}

/** Calls of one job in arrival order; none may start before the previous one ended. */
function assertOneStream(calls: StatusCall[]): void {
  const sorted = [...calls].sort((x, y) => x.startedAt - y.startedAt);
  for (let i = 1; i < sorted.length; i++) {
    const [prev, next] = [sorted[i - 1]!, sorted[i]!];
    expect(next.startedAt, 'a poll started while another was in flight').toBeGreaterThanOrEqual(prev.endedAt ?? Infinity);
    // The floor is exact where a poller claims (test/polling proves it on a manual clock); arrival
    // times here add the event-loop delay of a busy test process, hence the slack.
    expect(next.startedAt - prev.startedAt).toBeGreaterThanOrEqual(MIN_INTERVAL_MS / 2);
  }
}

describe('two instances on one Redis', () => {
  it('retrieves, lists and downloads through B a job created through A', async () => {
    const created = await a.client().videos.create({ prompt: 'made on A' });
    const viaB = b.client();
    expect((await viaB.videos.retrieve(created.id)).id).toBe(created.id);
    expect((await viaB.videos.list()).data.map((v) => v.id)).toContain(created.id);
    const done = await completed(viaB, created.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    const bytes = Buffer.from(await (await viaB.videos.downloadContent(created.id)).arrayBuffer());
    expect(bytes.equals(CONTENT)).toBe(true);
  });

  it('sends the upstream one poll stream per job, however many clients poll through both instances', async () => {
    const ids = await Promise.all([
      a.client().videos.create({ prompt: 'p1' }),
      b.client().videos.create({ prompt: 'p2' }),
      a.client().videos.create({ prompt: 'p3' }),
    ]).then((videos) => videos.map((v) => v.id));
    const started = Date.now();
    // Clients hammer both instances while the background pollers of both run.
    await Promise.all(ids.flatMap((id) => [completed(a.client(), id), completed(b.client(), id)]));
    const elapsed = Date.now() - started;
    const upstreamIds = upstream.jobIds().slice(-3);
    for (const upId of upstreamIds) {
      const calls = upstream.callsFor(upId);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.length).toBeLessThanOrEqual(Math.ceil(elapsed / MIN_INTERVAL_MS) + 2);
      assertOneStream(calls);
    }
  });

  it('counts a key rate limit across both instances, with the 429 in the envelope and its headers', async () => {
    await a.client(LIMITED_KEY).videos.create({ prompt: '1' });
    await b.client(LIMITED_KEY).videos.create({ prompt: '2' });
    await a.client(LIMITED_KEY).videos.create({ prompt: '3' });
    const res = await fetch(`${b.baseURL}/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LIMITED_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '4' }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('x-ratelimit-limit')).toBe('3');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    expect(await res.json()).toEqual({ error: { message: expect.stringContaining('3 creates'), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } });
  });

  it('keeps poll_rpm a separate budget, counted across both instances, that never starves creates', async () => {
    for (const [i, instance] of [a, b, a, b].entries()) {
      const page = await instance.client(POLLER_KEY).videos.list().withResponse();
      expect(page.response.headers.get('x-ratelimit-remaining')).toBe(String(3 - i));
    }
    const err = (await b.client(POLLER_KEY).videos.list().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers.get('x-ratelimit-limit')).toBe('4');
    const video = await a.client(POLLER_KEY).videos.create({ prompt: 'creates have their own budget' });
    expect(video.status).toMatch(/queued|in_progress/);
    await expect(a.client(POLLER_KEY).videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('counts a larger poll_rpm in process on each instance and still holds it across both, within the documented tolerance', async () => {
    // As fast as they go, alternating: well inside one 250 ms flush period, the worst case for local counting.
    let admitted = 0;
    for (let i = 0; i < 2 * BURST_RPM; i++) {
      const outcome = await (i % 2 === 0 ? a : b).client(BURST_KEY).videos.list().then(() => 'ok', (e: unknown) => e);
      if (outcome === 'ok') admitted++;
      else expect(outcome).toBeInstanceOf(OpenAI.RateLimitError);
    }
    // Exact past half the limit; below it, at most what the other instance counted locally and had not sent yet
    // (fewer than half the limit) can go unseen (src/ratelimit/README.md).
    expect(admitted).toBeGreaterThanOrEqual(BURST_RPM);
    expect(admitted).toBeLessThan(BURST_RPM + BURST_RPM / 2);
    // Once both have counted everything in Redis, both refuse for the rest of the window.
    for (const instance of [a, b]) {
      await expect(instance.client(BURST_KEY).videos.list()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    }
  });

  it('admits the last max_concurrent slot once across instances, and frees it when the job completes', async () => {
    const createsBefore = upstream.creates;
    const attempts = await Promise.allSettled(
      [a, b, a, b, a, b].map((instance, i) => instance.client(SINGLE_KEY).videos.create({ prompt: `race ${i}` })),
    );
    const admitted = attempts.filter((r) => r.status === 'fulfilled');
    const refused = attempts.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as InstanceType<typeof OpenAI.RateLimitError>);
    expect(admitted).toHaveLength(1);
    expect(refused).toHaveLength(5);
    for (const err of refused) {
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err.code).toBe('concurrency_limit_exceeded');
      expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Refused before any upstream call: no paid job exists for them.
    expect(upstream.creates - createsBefore).toBe(1);
    const only = (admitted[0] as PromiseFulfilledResult<OpenAI.Videos.Video>).value;
    // Nobody polls through the API here: the background pollers complete the job and free the slot.
    await eventually(async () => ((await b.runtime.store.get(only.id))?.state.status === 'completed' ? true : undefined), { timeoutMs: 15_000 });
    const next = await eventually(() => b.client(SINGLE_KEY).videos.create({ prompt: 'after the slot freed' }), { timeoutMs: 5000, intervalMs: 100 });
    expect(next.status).toMatch(/queued|in_progress/);
  });
});

describe('an instance stopping while it holds leases', () => {
  it('leaves its jobs to the other instance, which finishes them once the leases expire', async () => {
    const up = await startCountingUpstream({ apiKey: UPSTREAM_KEY, durationMs: 300 });
    const yaml = config(uniquePrefix('takeover'), up);
    const first = await startReelay({ yaml });
    let second: RunningReelay | undefined;
    try {
      up.hold();
      const ids = await Promise.all([1, 2, 3].map((i) => first.client().videos.create({ prompt: `job ${i}` }))).then((vs) => vs.map((v) => v.id));
      // A's background poller has claimed every job and is stuck in its upstream calls.
      await eventually(async () => (up.statusCalls.length >= 3 ? true : undefined));
      const claimedByA = new Map(up.statusCalls.map((c) => [c.id, c.startedAt]));
      expect(claimedByA.size).toBe(3);
      second = await startReelay({ yaml });
      // A dies: it can no longer reach Redis to hand anything back, and stops.
      first.runtime.redis?.disconnect();
      await first.close();
      up.release();

      for (const id of ids) {
        await eventually(async () => ((await second!.runtime.store.get(id))?.state.status === 'completed' ? true : undefined), { timeoutMs: 15_000 });
      }
      // Nothing polled a job between A's claim and the end of A's lease (lease_ms: 1000).
      for (const [upId, claimedAt] of claimedByA) {
        const takeover = up.callsFor(upId).map((c) => c.startedAt).filter((t) => t > claimedAt);
        expect(takeover.length).toBeGreaterThan(0);
        // Slack for the delay between A's claim and its call's arrival; without the lease B would poll within ~100 ms.
        expect(Math.min(...takeover)).toBeGreaterThanOrEqual(claimedAt + 1000 - 250);
      }
      const listed = await second.client().videos.list();
      expect(listed.data.filter((v) => ids.includes(v.id)).every((v) => v.status === 'completed')).toBe(true);
    } finally {
      await first.close();
      await second?.close();
      await up.close();
    }
  });
});
