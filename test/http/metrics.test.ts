import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, NotFoundError, RateLimitError, UpstreamError, UpstreamTimeoutError } from '../../src/errors.js';
import { upstreamOutcome } from '../../src/providers/metered.js';
import { ADMIN_KEY, adminBlock } from '../admin/support.js';
import { defaultSteps, startFakeOpenAI, type OpenAIShapedFake } from '../fakes/openai-upstream.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';
import { parsePrometheusText, type Scrape } from '../helpers/prometheus.js';
import { eventually, OTHER_KEY, sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

/**
 * /metrics after a scripted session through the front door (the official
 * SDK): every metric the README lists is there and counts what happened.
 * Time is a manual clock, so job durations and the poller's lag are exact;
 * the background poller still runs on real timers and reads that clock.
 */

const UPSTREAM_KEY = 'sk-upstream-metrics-0001';
const UP = 'fakeup';
const GENERATION_MS = 5000;

let clock: ManualClock;
let fake: OpenAIShapedFake;
let reelay: RunningReelay;
let dir: string;

const yaml = (upstream: string, storageDir: string) => `
store:
  type: memory
keys:
  - name: alice
    key: ${TEST_KEY}
  - name: bob
    key: ${OTHER_KEY}
poll:
  initial_ms: 200
  stale_ms: 0
  min_interval_ms: 0
storage:
  type: fs
  dir: ${storageDir}
providers:
  - id: sandbox
    type: sandbox
    generation_seconds: ${GENERATION_MS / 1000}
  - id: ${UP}
    type: openai
    base_url: ${upstream}
    api_keys: [${UPSTREAM_KEY}]
    timeout_ms: 2000
models:
  sora-2:
    - provider: sandbox
  fake-video:
    - provider: ${UP}
      model: sora-2
${adminBlock()}`;

async function scrape(key: string | null = ADMIN_KEY, origin = reelay.origin): Promise<{ status: number; text: string; scrape?: Scrape }> {
  const res = await fetch(`${origin}/metrics`, key === null ? {} : { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  return { status: res.status, text, ...(res.status === 200 ? { scrape: parsePrometheusText(text) } : {}) };
}

const metrics = async (): Promise<Scrape> => (await scrape()).scrape!;

async function untilTerminal(client: OpenAI, id: string): Promise<OpenAI.Videos.Video> {
  return eventually(async () => {
    const v = await client.videos.retrieve(id);
    return v.status === 'completed' || v.status === 'failed' ? v : undefined;
  });
}

beforeAll(async () => {
  clock = manualClock();
  dir = await mkdtemp(join(tmpdir(), 'reelay-metrics-'));
  // A job whose prompt says #forever stays queued: the one job still in flight at the end.
  fake = await startFakeOpenAI({ keys: [UPSTREAM_KEY], steps: (job) => (job.prompt.includes('#forever') ? [{ status: 'queued', progress: 0 }] : defaultSteps(job)) });
  reelay = await startReelay({ yaml: yaml(fake.url, dir), clock });
});
afterAll(async () => {
  await reelay?.close();
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('/metrics after a scripted session', () => {
  let done: OpenAI.Videos.Video;
  let failed: OpenAI.Videos.Video;
  let running: OpenAI.Videos.Video;
  let variantBytes: number;
  let after: Scrape;

  beforeAll(async () => {
    const client = reelay.client();
    const a = await client.videos.create({ model: 'sora-2', prompt: 'a calico cat playing the piano' });
    const b = await client.videos.create({ model: 'sora-2', prompt: 'a dog on a skateboard [fail]' });
    running = await client.videos.create({ model: 'fake-video', prompt: 'a sunrise #forever' });
    // Two creates the upstream refuses: a 500 (an upstream error) and a 400 (a rejection).
    fake.failNext('create', { status: 500, body: { error: { message: 'boom', type: 'server_error', code: null, param: null } } });
    await expect(client.videos.create({ model: 'fake-video', prompt: 'x' })).rejects.toMatchObject({ status: 502 });
    fake.failNext('create', { status: 400, body: { error: { message: 'prompt refused', type: 'invalid_request_error', code: 'invalid_value', param: 'prompt' } } });
    await expect(client.videos.create({ model: 'fake-video', prompt: 'y' })).rejects.toMatchObject({ status: 400 });

    // Exactly GENERATION_MS later both sandbox jobs are over: their durations are exact.
    clock.advance(GENERATION_MS);
    done = await untilTerminal(client, a.id);
    failed = await untilTerminal(client, b.id);
    for (let i = 0; i < 3; i++) expect((await client.videos.retrieve(running.id)).status).toBe('queued');
    await expect(client.videos.retrieve('video_does_not_exist')).rejects.toMatchObject({ status: 404 });
    expect((await fetch(`${reelay.origin}/v1/no/such/route`, { headers: { authorization: `Bearer ${TEST_KEY}` } })).status).toBe(404);

    // Custody copies every variant in the background: wait for its backlog to drain, then read the files back.
    await eventually(async () => {
      const m = await metrics();
      return m.value('reelay_events_backlog', { handler: 'custody' }) === 0 && m.value('reelay_custody_bytes_total') > 0 ? true : undefined;
    });
    variantBytes = 0;
    for (const variant of ['video', 'thumbnail', 'spritesheet'] as const) {
      variantBytes += (await (await client.videos.downloadContent(done.id, { variant })).arrayBuffer()).byteLength;
    }
    // A streamed reply is counted in onResponse, once the server has finished it: that can come just after the
    // client read its last byte, so the scrape waits for the third download to be counted.
    after = await eventually(async () => {
      const m = await metrics();
      return m.value('reelay_http_requests_total', { route: '/v1/videos/:id/content', method: 'GET', status: '200' }) >= 3 ? m : undefined;
    });
  });

  it('ends as scripted', () => {
    expect([done.status, failed.status, running.status]).toEqual(['completed', 'failed', 'queued']);
  });

  it('counts requests by route pattern, method and status, never by raw URL', () => {
    const http = (labels: Record<string, string>) => after.value('reelay_http_requests_total', labels);
    expect(http({ route: '/v1/videos', method: 'POST', status: '200' })).toBe(3);
    expect(http({ route: '/v1/videos', method: 'POST', status: '502' })).toBe(1);
    expect(http({ route: '/v1/videos', method: 'POST', status: '400' })).toBe(1);
    expect(http({ route: '/v1/videos/:id', method: 'GET', status: '404' })).toBe(1);
    expect(http({ route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(http({ route: '/v1/videos/:id/content', method: 'GET', status: '200' })).toBe(3);
    expect(after.samples.some((s) => s.name === 'reelay_http_requests_total' && /video_|no\/such/.test(s.labels.route ?? ''))).toBe(false);
    expect(after.value('reelay_http_request_duration_seconds_count', { route: '/v1/videos', method: 'POST' })).toBe(5);
    expect(after.value('reelay_http_request_duration_seconds_bucket', { route: '/v1/videos', method: 'POST', le: '+Inf' })).toBe(5);
    expect(after.types.get('reelay_http_request_duration_seconds')).toBe('histogram');
  });

  it('counts upstream calls by provider, verb and outcome, matching what the upstream saw', () => {
    const up = (labels: Record<string, string>) => after.value('reelay_upstream_requests_total', labels);
    expect(up({ provider: 'sandbox', verb: 'create', outcome: 'ok' })).toBe(2);
    expect(up({ provider: UP, verb: 'create', outcome: 'ok' })).toBe(1);
    expect(up({ provider: UP, verb: 'create', outcome: 'error' })).toBe(1);
    expect(up({ provider: UP, verb: 'create', outcome: 'rejected' })).toBe(1);
    expect(up({ provider: UP, verb: 'create' })).toBe(fake.requests.filter((r) => r.verb === 'create').length);
    // Every status call the upstream answered, inline refreshes and background polls alike.
    expect(up({ provider: UP, verb: 'status' })).toBe(fake.requests.filter((r) => r.verb === 'status').length);
    expect(up({ provider: UP, verb: 'status', outcome: 'ok' })).toBeGreaterThanOrEqual(3);
    expect(up({ provider: 'sandbox', verb: 'status', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    // Custody fetched each variant once; the client's downloads came from storage.
    expect(up({ provider: 'sandbox', verb: 'content', outcome: 'ok' })).toBe(3);
    expect(after.value('reelay_upstream_request_duration_seconds_count', { provider: UP, verb: 'create' })).toBe(3);
    // The legacy poll counter still counts the same status calls.
    expect(after.value('reelay_upstream_polls_total', { provider: UP })).toBe(up({ provider: UP, verb: 'status' }));
  });

  it('counts jobs created, completed and failed by provider and model alias, and their durations', () => {
    expect(after.value('reelay_jobs_created_total', { provider: 'sandbox', model: 'sora-2' })).toBe(2);
    expect(after.value('reelay_jobs_created_total', { provider: UP, model: 'fake-video' })).toBe(1);
    expect(after.value('reelay_jobs_completed_total', { provider: 'sandbox', model: 'sora-2' })).toBe(1);
    expect(after.value('reelay_jobs_failed_total', { provider: 'sandbox', model: 'sora-2' })).toBe(1);
    expect(after.value('reelay_jobs_completed_total', { provider: UP })).toBe(0);
    for (const outcome of ['completed', 'failed']) {
      expect(after.value('reelay_job_duration_seconds_count', { provider: 'sandbox', outcome })).toBe(1);
      expect(after.value('reelay_job_duration_seconds_sum', { provider: 'sandbox', outcome })).toBe(GENERATION_MS / 1000);
      expect(after.value('reelay_job_duration_seconds_bucket', { provider: 'sandbox', outcome, le: '5' })).toBe(1);
      expect(after.value('reelay_job_duration_seconds_bucket', { provider: 'sandbox', outcome, le: '1' })).toBe(0);
    }
  });

  it('counts budget reservations and how each ended', () => {
    const reservations = (outcome: string) => after.value('reelay_budget_reservations_total', { outcome });
    const settlements = (result: string) => after.value('reelay_budget_settlements_total', { result });
    expect(reservations('admitted')).toBe(5);
    expect([settlements('settled'), settlements('released'), settlements('rejected'), settlements('error')]).toEqual([1, 1, 2, 0]);
  });

  it('counts the custody bytes committed: every variant of the completed video, once', () => {
    expect(after.value('reelay_custody_bytes_total', { storage: 'fs' })).toBe(variantBytes);
  });

  it('reports the jobs in flight from the shared schedule, and the webhook counter', () => {
    expect(after.value('reelay_jobs_in_flight')).toBe(1);
    expect(after.types.get('reelay_webhook_deliveries_total')).toBe('counter');
    expect(after.types.get('reelay_events_backlog')).toBe('gauge');
    for (const name of after.types.keys()) expect(after.help.get(name), name).toBeTruthy();
  });

  it('writes the key, model and video on request lines and the video and provider on job lines, never a secret', () => {
    const lines = reelay.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const created = lines.find((l) => l.msg === 'request completed' && l.videoId === done.id && l.method === 'POST');
    expect(created).toMatchObject({ route: '/v1/videos', keyName: 'alice', keyId: expect.stringMatching(/^key_/), model: 'sora-2', statusCode: 200, level: 'info' });
    // A create refused upstream still names the model the client asked for.
    expect(lines.find((l) => l.msg === 'request completed' && l.statusCode === 502)).toMatchObject({ model: 'fake-video', keyName: 'alice' });
    const copied = lines.filter((l) => l.msg === 'stored a copy of the video content');
    expect(copied).toHaveLength(3);
    for (const line of copied) expect(line).toMatchObject({ videoId: done.id, provider: 'sandbox', handler: 'custody', pollBatchId: expect.stringMatching(/^poll_[0-9a-f]{12}$/) });
    const scraped = lines.find((l) => l.msg === 'request completed' && l.route === '/metrics');
    expect(scraped).toMatchObject({ adminName: 'root', statusCode: 200 });
    const all = reelay.logs.join('\n');
    for (const secret of [TEST_KEY, ADMIN_KEY, UPSTREAM_KEY]) expect(all).not.toContain(secret);
  });

  it('reports the poller lag: the age of the oldest overdue job', async () => {
    await reelay.runtime.poller.stop();
    expect((await metrics()).value('reelay_poller_lag_seconds')).toBeLessThanOrEqual(1);
    // With nobody polling, the running job's due time falls behind by as much as the clock moves.
    clock.advance(60_000);
    const lag = (await metrics()).value('reelay_poller_lag_seconds');
    // Its next poll was due at most poll.max_ms (15 s, +20 % jitter) after the last one.
    expect(lag).toBeGreaterThan(60 - 18);
    expect(lag).toBeLessThanOrEqual(60);
    reelay.runtime.poller.start();
    await eventually(async () => ((await metrics()).value('reelay_poller_lag_seconds') < 1 ? true : undefined));
  });
});

describe('who may read /metrics', () => {
  it('needs the admin key: 401 without one or with a client key, in the OpenAI envelope', async () => {
    const none = await scrape(null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
    for (const key of [TEST_KEY, OTHER_KEY, 'sk-not-a-key-at-all-000']) {
      const refused = await scrape(key);
      expect(refused.status, key).toBe(401);
      expect(JSON.parse(refused.text)).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });
      expect(refused.text).not.toContain('reelay_');
    }
    const ok = await scrape(ADMIN_KEY);
    expect(ok.status).toBe(200);
    expect(ok.scrape!.has('reelay_http_requests_total')).toBe(true);
  });

  it('needs no key with metrics.public: true, and a key is then not checked', async () => {
    const open = await startReelay({ yaml: `${sandboxYaml()}metrics:\n  public: true\n` });
    try {
      for (const key of [null, TEST_KEY]) {
        const res = await scrape(key, open.origin);
        expect(res.status).toBe(200);
        expect(res.scrape!.has('reelay_jobs_in_flight')).toBe(true);
      }
    } finally {
      await open.close();
    }
  });
});

describe('the Grafana dashboard', () => {
  it('queries only metrics a real scrape has (no typos in its PromQL)', async () => {
    const dashboard = JSON.parse(await readFile(new URL('../../docker/grafana/dashboards/reelay.json', import.meta.url), 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(10);
    const m = await metrics();
    const known = (name: string): boolean => {
      if (m.has(name)) return true;
      // A histogram family with no observation yet has its TYPE line but no _bucket samples.
      const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
      return base !== undefined && m.types.get(base) === 'histogram';
    };
    const names = new Set(exprs.flatMap((e) => e.match(/\breelay_[a-z0-9_]+/g) ?? []));
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) expect(known(name), name).toBe(true);
  });
});

describe('upstream outcomes', () => {
  it('classifies the adapters\u2019 errors', () => {
    expect(upstreamOutcome(new UpstreamTimeoutError('slow'))).toBe('timeout');
    expect(upstreamOutcome(new RateLimitError('busy', 3))).toBe('rate_limited');
    expect(upstreamOutcome(new InvalidRequestError('bad'))).toBe('rejected');
    expect(upstreamOutcome(new NotFoundError('gone'))).toBe('rejected');
    expect(upstreamOutcome(new UpstreamError('aborted', { code: 'upstream_aborted' }))).toBe('aborted');
    expect(upstreamOutcome(new UpstreamError('5xx'))).toBe('error');
    expect(upstreamOutcome(new Error('bug'))).toBe('error');
  });
});
