import type OpenAI from 'openai';
import { BadRequestError, InternalServerError, NotFoundError, RateLimitError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialFingerprint } from '../../src/providers/http/credential-pool.js';
import { startFakeAimlapi, type AimlFakeOptions, type AimlJob, type FakeAimlapi } from '../fakes/aimlapi-upstream.js';
import { startFakeCdn, type FakeCdn } from '../fakes/fake-cdn.js';
import type { VideoCreateParams, VideoSeconds, VideoSize } from 'openai/resources/videos';
import { defaultVideo, makePng } from '../fakes/gptge-upstream.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { caught, download, envelopeMessage, expectNoProviderIds, providerYaml, reelayYaml, sha, startE2E, stopE2E, toldClients, untilTerminal, type E2EEnv } from './support/e2e-env.js';

/**
 * aimlapi adapter end to end: the official SDK → Reelay → a fake AI/ML API
 * (`/v2/video/generations`), over real HTTP.
 */

const KEYS = ['aiml-key-one-0123456789abcdef', 'aiml-key-two-0123456789abcdef'] as const;
const OPENAI_STATUSES = ['queued', 'in_progress', 'completed', 'failed'];
/** The SDK's types list only OpenAI's own values; other values are sent unchanged. */
const secs = (s: string) => s as VideoSeconds;
const size = (s: string) => s as VideoSize;

/** Provider ids no client message could contain by chance ("aiml" is in aimlapi's own messages); clients must never read them. */
const AIML = 'aiml-q7';
const BACKUP = 'backup-q7';
const DEAD = 'dead-q7';
const IDS = [AIML, BACKUP, DEAD];

const MODELS = `  sora-2-pro:
    - provider: ${AIML}
      model: openai/sora-2-pro-t2v
      image_model: openai/sora-2-pro-i2v
  sora-2:
    - provider: ${AIML}
      model: openai/sora-2-t2v
      image_model: openai/sora-2-i2v
  text-only:
    - provider: ${AIML}
      model: openai/sora-2-t2v`;

const provider = (id: string, url: string) => providerYaml('aimlapi', id, url, KEYS);

interface Env extends E2EEnv<FakeAimlapi> {
  clock: ManualClock;
}

async function start(options: AimlFakeOptions = {}, models = MODELS): Promise<Env> {
  const fake = await startFakeAimlapi({ keys: [...KEYS], ...options });
  const clock = manualClock();
  return { ...(await startE2E(fake, reelayYaml(provider(AIML, fake.url), models), clock)), clock };
}

/** Progress is estimated from elapsed time: the clock moves 30 s before each retrieve. */
const tick = (clock: ManualClock) => () => clock.advance(30_000);

const lastJob = (fake: FakeAimlapi): AimlJob => [...fake.jobs.values()].at(-1)!;
const jobByPrompt = (fake: FakeAimlapi, prompt: string): AimlJob => {
  const job = [...fake.jobs.values()].find((j) => j.body.prompt === prompt);
  if (!job) throw new Error(`no upstream job for ${prompt}`);
  return job;
};
const statusCallsFor = (fake: FakeAimlapi, job: AimlJob) =>
  fake.requestsOf('status').filter((r) => new URL(r.rawUrl, 'http://x').searchParams.get('generation_id') === job.id);

describe('aimlapi: /v2/video/generations', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => stopE2E(env));

  it('text to video: JSON body with duration/aspect_ratio/resolution, estimated progress, bytes identical, usage kept', async () => {
    const { client, fake, clock, reelay } = env;
    const created = await client.videos.create({ model: 'sora-2-pro', prompt: 'a dragon over the mountain', seconds: '8', size: '1792x1024' });
    expect(created).toMatchObject({ status: 'queued', progress: 0, model: 'sora-2-pro', seconds: '8', size: '1792x1024' });

    const create = fake.requestsOf('create').at(-1)!;
    expect(create.headers['content-type']).toMatch(/^application\/json/);
    expect(create.json).toEqual({ model: 'openai/sora-2-pro-t2v', prompt: 'a dragon over the mountain', duration: 8, aspect_ratio: '16:9', resolution: '1080p' });
    const job = lastJob(fake);
    expect(create.key).toBe(job.key);

    const { video, history } = await untilTerminal(client, created.id, tick(clock));
    expect(video).toMatchObject({ status: 'completed', progress: 100, error: null });
    for (const v of history) expect(OPENAI_STATUSES).toContain(v.status);
    const running = history.filter((v) => v.status === 'in_progress').map((v) => v.progress);
    expect(running.length).toBe(2);
    expect(running[0]).toBeGreaterThan(0);
    expect(running[1]).toBeGreaterThan(running[0]!);
    expect(running[1]).toBeLessThan(100);

    // The id has a colon (and the model a slash): both percent-encoded in generation_id, with the creating key.
    const polls = statusCallsFor(fake, job);
    expect(polls).toHaveLength(3);
    for (const r of polls) {
      expect(r.rawUrl).toBe(`/v2/video/generations?generation_id=${job.id.replace(':', '%3A').replace('/', '%2F')}`);
      expect(r.key).toBe(job.key);
    }

    const { res, bytes } = await download(client, created.id);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(sha(bytes)).toBe(fake.videoSha256);

    const record = await reelay.runtime.store.get(created.id);
    expect(record?.state.usage).toEqual({ credits_used: 2520000, usd_spent: 1.26 });
  });

  it('image to video: the uploaded file becomes a data URL for the image model', async () => {
    const png = makePng(720, 1280);
    const created = await env.client.videos.create({
      model: 'sora-2',
      prompt: 'animate the still',
      seconds: '4',
      size: '720x1280',
      input_reference: await toFile(png, 'still.png', { type: 'image/png' }),
    });
    const job = jobByPrompt(env.fake, 'animate the still');
    expect(job.body).toMatchObject({ model: 'openai/sora-2-i2v', duration: 4, aspect_ratio: '9:16', resolution: '720p' });
    expect(job.body.image_url).toBe(`data:image/png;base64,${png.toString('base64')}`);
    expect((await untilTerminal(env.client, created.id, tick(env.clock))).video.status).toBe('completed');
  });

  it("image to video by URL: the client's URL is passed on", async () => {
    await env.client.videos.create({ model: 'sora-2', prompt: 'from url', size: '1280x720', input_reference: { image_url: 'https://img.example/a.jpg' } });
    expect(jobByPrompt(env.fake, 'from url').body).toMatchObject({ model: 'openai/sora-2-i2v', image_url: 'https://img.example/a.jpg', aspect_ratio: '16:9' });
  });

  it('refuses an image on a target without image_model, and a file_id, with 400 on input_reference', async () => {
    const before = env.fake.requestsOf('create').length;
    const noModel = await caught(env.client.videos.create({ model: 'text-only', prompt: 'x', input_reference: { image_url: 'https://img.example/a.jpg' } }));
    expect(noModel).toBeInstanceOf(BadRequestError);
    expect(noModel.param).toBe('input_reference');
    const fileId = await caught(env.client.videos.create({ model: 'sora-2', prompt: 'x', input_reference: { file_id: 'file-abc' } }));
    expect(fileId).toBeInstanceOf(BadRequestError);
    expect(fileId.param).toBe('input_reference');
    expect(env.fake.requestsOf('create').length).toBe(before);
  });

  it('declares only the four mapped sizes', async () => {
    const err = await caught(env.client.videos.create({ model: 'sora-2', prompt: 'x', size: size('1920x1080') }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe('size');
    for (const size of ['720x1280', '1280x720', '1024x1792', '1792x1024']) expect(err.message).toContain(size);
  });

  it.each<[string, VideoCreateParams, string]>([
    ['resolution', { model: 'sora-2', prompt: 'x', size: '1024x1792' }, "Body validation error: resolution: Invalid enum value. Expected '720p', received '1080p'"],
    ['duration', { model: 'sora-2', prompt: 'x', seconds: secs('5') }, "Body validation error: duration: Invalid enum value. Expected 4 | 8 | 12, received '5'"],
  ])("relays a NestJS validation error (%s) as a 400 with the upstream message", async (_label, body, message) => {
    const err = await caught(env.client.videos.create(body));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(envelopeMessage(err)).toBe(message);
  });

  it('ends a moderated job failed with an OpenAI-shaped error', async () => {
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'bad idea #fail' });
    const { video } = await untilTerminal(env.client, created.id, tick(env.clock));
    expect(video.status).toBe('failed');
    expect(video.error).toEqual({ code: 'moderation_blocked', message: "The prompt was rejected by the provider's safety filter." });
  });

  it('keeps the last known state on an unknown status word, and logs it', async () => {
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'odd word' });
    env.clock.advance(30_000);
    const running = await env.client.videos.retrieve(created.id);
    expect(running.status).toBe('in_progress');
    env.fake.failNext('status', { status: 200, body: { id: lastJob(env.fake).id, status: 'uploading' } });
    env.clock.advance(30_000);
    const odd = await env.client.videos.retrieve(created.id);
    expect(odd.status).toBe('in_progress');
    expect(odd.progress).toBeGreaterThanOrEqual(running.progress);
    expect(env.reelay.logs.some((l) => l.includes('"rawStatus":"uploading"'))).toBe(true);
  });

  it('accepts a 200 create and a legacy generation_id', async () => {
    env.fake.failNext('create', { status: 200, body: { generation_id: '362347981228480:minimax/hailuo-02', status: 'generating' } });
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'legacy' });
    expect(created.status).toBe('in_progress');
    const record = await env.reelay.runtime.store.get(created.id);
    expect(record?.upstreamId).toBe('362347981228480:minimax/hailuo-02');
  });

  it('pins each job to the key that created it', async () => {
    const a = await env.client.videos.create({ model: 'sora-2', prompt: 'pin A' });
    const b = await env.client.videos.create({ model: 'sora-2', prompt: 'pin B' });
    const jobA = jobByPrompt(env.fake, 'pin A');
    const jobB = jobByPrompt(env.fake, 'pin B');
    expect(new Set([jobA.key, jobB.key])).toEqual(new Set(KEYS));
    await untilTerminal(env.client, a.id, tick(env.clock));
    await untilTerminal(env.client, b.id, tick(env.clock));
    for (const job of [jobA, jobB]) {
      const calls = statusCallsFor(env.fake, job);
      expect(calls.length).toBeGreaterThanOrEqual(3);
      for (const r of calls) expect(r.key).toBe(job.key);
    }
  });

  it('has no remix, no thumbnail, and deletes from Reelay only', async () => {
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'short lived' });
    await untilTerminal(env.client, created.id, tick(env.clock));
    const remix = await caught(env.client.videos.remix(created.id, { prompt: 'again' }));
    expect(remix).toBeInstanceOf(BadRequestError);
    const thumb = await caught(env.client.videos.downloadContent(created.id, { variant: 'thumbnail' }));
    expect(thumb).toBeInstanceOf(BadRequestError);
    expect(thumb.param).toBe('variant');
    const before = env.fake.requests.length;
    expect(await env.client.videos.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
    expect(env.fake.requests.length).toBe(before);
    expect(env.reelay.logs.some((l) => l.includes('removed from Reelay only'))).toBe(true);
  });

  it('never lets a provider key into a log line', () => {
    const logs = env.reelay.logs.join('\n');
    for (const key of KEYS) expect(logs).not.toContain(key);
  });
});

describe('aimlapi: video.url on a CDN', () => {
  let env: Env;
  let cdn: FakeCdn;
  beforeAll(async () => {
    cdn = await startFakeCdn();
    const video = defaultVideo();
    env = await start({
      video,
      fileUrl: (job) =>
        String(job.body.prompt).includes('#expired')
          ? `${cdn.origin}/gone/${sha(Buffer.from(job.id))}.mp4?Expires=1&Signature=abc`
          : cdn.put(`/generations/${sha(Buffer.from(job.id))}.mp4`, video),
    });
  });
  afterAll(async () => {
    await stopE2E(env);
    await cdn.close();
  });

  it('downloads from the foreign host without credentials, bytes identical', async () => {
    const created = await env.client.videos.create({ model: 'sora-2-pro', prompt: 'cdn please', seconds: '4', size: '1024x1792' });
    expect(jobByPrompt(env.fake, 'cdn please').body).toMatchObject({ aspect_ratio: '9:16', resolution: '1080p' });
    await untilTerminal(env.client, created.id, tick(env.clock));
    const { bytes } = await download(env.client, created.id);
    expect(sha(bytes)).toBe(env.fake.videoSha256);
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('answers 404 when the CDN no longer has the file and a fresh poll names no other URL', async () => {
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'gone #expired' });
    await untilTerminal(env.client, created.id, tick(env.clock));
    const polls = env.fake.requestsOf('status').length;
    const err = await caught(env.client.videos.downloadContent(created.id));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('content_unavailable');
    expect(env.fake.requestsOf('status').length).toBe(polls + 1);
    for (const r of cdn.requests) expect(r.headers.authorization).toBeUndefined();
  });

  it('answers a Range past the end of the CDN file with 416 and bytes */N', async () => {
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'cdn range too far' });
    await untilTerminal(env.client, created.id, tick(env.clock));
    const err = await caught(download(env.client, created.id, { Range: `bytes=${env.fake.video.length}-` }));
    expect(err).toMatchObject({ status: 416, code: 'range_not_satisfiable' });
    expect(err.headers?.get('content-range')).toBe(`bytes */${env.fake.video.length}`);
  });
});

describe('aimlapi: key pool and failures', () => {
  let a: FakeAimlapi;
  let b: FakeAimlapi;
  let reelay: RunningReelay;
  let client: OpenAI;
  beforeAll(async () => {
    a = await startFakeAimlapi({ keys: [...KEYS] });
    b = await startFakeAimlapi({ keys: [...KEYS], createStatus: 200 });
    reelay = await startReelay({
      yaml: reelayYaml(
        [provider(AIML, a.url), provider(BACKUP, b.url), provider(DEAD, 'http://127.0.0.1:9/v2')].join('\n'),
        `  sora-2:
    - provider: ${AIML}
      model: openai/sora-2-t2v
    - provider: ${BACKUP}
      model: openai/sora-2-t2v
  solo:
    - provider: ${AIML}
      model: openai/sora-2-t2v
  dead-only:
    - provider: ${DEAD}
      model: openai/sora-2-t2v`,
      ),
    });
    client = reelay.client();
  });
  afterAll(async () => {
    await reelay.close();
    await a.close();
    await b.close();
  });

  it('fails over to the next target on a 5xx', async () => {
    a.failNext('create', { status: 503, body: { message: 'The model is under maintenance, please contact us at help@aimlapi.com.', statusCode: 503 } });
    const created = await client.videos.create({ model: 'sora-2', prompt: 'maintenance day' });
    expect([...b.jobs.values()].some((j) => j.body.prompt === 'maintenance day')).toBe(true);
    expect((await untilTerminal(client, created.id)).video.status).toBe('completed');
  });

  it('answers 502 for a 5xx when there is nowhere to fail over', async () => {
    const err = await caught(client.videos.create({ model: 'solo', prompt: 'down #maintenance' }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err.status).toBe(502);
    // The upstream's own words (which name aimlapi.com) are kept; the provider id is not added.
    expect(envelopeMessage(err)).toMatch(/^The upstream provider failed \(HTTP 503\): .*help@aimlapi\.com/);
  });

  it('answers 502 upstream_unreachable for a refused connection when there is nowhere to fail over', async () => {
    const err = await caught(client.videos.create({ model: 'dead-only', prompt: 'nobody there' }));
    expect(err).toMatchObject({ status: 502, code: 'upstream_unreachable' });
    expect(envelopeMessage(err)).toMatch(/^Could not reach the upstream provider \(ECONNREFUSED\)\./);
  });

  it('answers 502 upstream_bad_response for a create answer without an id', async () => {
    a.failNext('create', { status: 200, body: { status: 'queued' } });
    const err = await caught(client.videos.create({ model: 'solo', prompt: 'no id' }));
    expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(envelopeMessage(err)).toMatch(/^The upstream provider accepted the request but returned no generation id\./);
  });

  it('disables a key answered with 401 and shows it in /readyz', async () => {
    a.revokeKey(KEYS[0]);
    await client.videos.create({ model: 'solo', prompt: 'after revoke A' });
    await client.videos.create({ model: 'solo', prompt: 'after revoke B' });
    expect([...a.jobs.values()].filter((j) => String(j.body.prompt).startsWith('after revoke')).map((j) => j.key)).toEqual([KEYS[1], KEYS[1]]);
    const ready = (await (await fetch(`${reelay.origin}/readyz`)).json()) as { providers: Record<string, { credentials: { fingerprint: string; state: string }[] }> };
    expect(ready.providers[AIML]!.credentials).toEqual([
      expect.objectContaining({ fingerprint: credentialFingerprint(AIML, KEYS[0]), state: 'disabled' }),
      expect.objectContaining({ fingerprint: credentialFingerprint(AIML, KEYS[1]), state: 'active' }),
    ]);
  });

  it('answers 429 with retry-after when the only usable key is rate limited', async () => {
    const err = await caught(client.videos.create({ model: 'solo', prompt: 'busy #429' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(envelopeMessage(err)).toBe('Too Many Requests');
    expect(err.headers?.get('retry-after')).toBe('30');
  });

  it('never lets a provider key into a log line', () => {
    const logs = reelay.logs.join('\n');
    for (const key of KEYS) expect(logs).not.toContain(key);
  });
});

// Runs last: it reads what every test above was told.
describe('aimlapi: what clients are told', () => {
  it('never names a provider in any error message, envelope or header (400, 404, 5xx, 401, 429, 416, refused connection…)', () => {
    expect(toldClients().length).toBeGreaterThan(10);
    expectNoProviderIds(IDS, ...toldClients());
  });
});
