import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONTENT, startCountingUpstream, type CountingUpstream } from '../fakes/counting-upstream.js';
import { eventually, startReelay, type RunningReelay } from '../helpers/reelay.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { clusterStore, sharedYaml, UPSTREAM_KEY } from '../helpers/shared-state.js';

/**
 * Two instances on a local three-master Redis Cluster (`store.cluster`): the
 * poller, leases, concurrency slots and rate limits all run there, so any
 * script or transaction that spanned two slots would fail with CROSSSLOT.
 */

const SINGLE_KEY = 'sk-test-cluster-single-1';
let cluster: RedisCluster;
let upstream: CountingUpstream;
let a: RunningReelay;
let b: RunningReelay;

beforeAll(async () => {
  cluster = await startRedisCluster();
  upstream = await startCountingUpstream({ apiKey: UPSTREAM_KEY, durationMs: 800 });
  const yaml = sharedYaml({
    store: clusterStore(cluster.urls, uniquePrefix('cluster')),
    upstream: upstream.baseURL,
    // stale_ms is long, so only the background poller can move a job: this is a test of the poller.
    poll: '  initial_ms: 200\n  max_ms: 1000\n  lease_ms: 1000\n  stale_ms: 600000\n  min_interval_ms: 200',
    keys: `  - name: single\n    key: ${SINGLE_KEY}\n    max_concurrent: 1\n    rpm: 3`,
  });
  [a, b] = await Promise.all([startReelay({ yaml }), startReelay({ yaml })]);
}, 30_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await upstream?.close();
  await cluster?.stop();
});

it('completes jobs with the background pollers alone and serves them through either instance', async () => {
  const ids = await Promise.all([a, b, a, b].map((i, n) => i.client().videos.create({ prompt: `cluster ${n}` }))).then((vs) => vs.map((v) => v.id));
  for (const id of ids) {
    const done = await eventually(async () => {
      const video = await b.client().videos.retrieve(id);
      return video.status === 'completed' ? video : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    expect(done.progress).toBe(100);
  }
  const listed = await a.client().videos.list({ limit: 100 });
  expect(ids.every((id) => listed.data.some((v) => v.id === id && v.status === 'completed'))).toBe(true);
  const bytes = Buffer.from(await (await a.client().videos.downloadContent(ids[1]!)).arrayBuffer());
  expect(bytes.equals(CONTENT)).toBe(true);
  // Polls per job stayed one stream: never two in flight at once.
  for (const upId of upstream.jobIds()) {
    const calls = upstream.callsFor(upId).sort((x, y) => x.startedAt - y.startedAt);
    calls.slice(1).forEach((call, i) => expect(call.startedAt).toBeGreaterThanOrEqual(calls[i]!.endedAt!));
  }
});

it('counts max_concurrent and rpm across instances on the cluster', async () => {
  const attempts = await Promise.allSettled([a, b, a].map((i) => i.client(SINGLE_KEY).videos.create({ prompt: 'race' })));
  expect(attempts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const refused = attempts.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as InstanceType<typeof OpenAI.APIError>;
  expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
  expect(refused.code).toBe('concurrency_limit_exceeded');
  // rpm 3 counted every attempt on both instances, admitted or not; the fourth is over budget.
  await expect(b.client(SINGLE_KEY).videos.create({ prompt: 'fourth' })).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
});
