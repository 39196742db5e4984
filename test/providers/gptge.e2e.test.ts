import type OpenAI from 'openai';
import { BadRequestError, InternalServerError, NotFoundError, RateLimitError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialFingerprint } from '../../src/providers/http/credential-pool.js';
import { startFakeCdn, type FakeCdn } from '../fakes/fake-cdn.js';
import type { VideoCreateParams, VideoSeconds } from 'openai/resources/videos';
import { defaultVideo, makePng, startFakeGptge, type FakeGptge, type FakeJob, type GptgeFakeOptions } from '../fakes/gptge-upstream.js';
import { startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { caught, download, envelopeMessage, expectNoKeys, expectNoProviderIds, jobByPrompt, png720x1280, providerYaml, reelayYaml, sha, startE2E, stopE2E, toldClients, untilTerminal, type E2EEnv } from './support/e2e-env.js';

/**
 * gptge adapter end to end: the official SDK → Reelay → a fake new-api reseller
 * (gpt.ge configuration) or the fake storyboard reseller, over real HTTP.
 */

const KEYS = ['sk-gptge-one-0123456789abcdef', 'sk-gptge-two-0123456789abcdef'] as const;
const OPENAI_STATUSES = ['queued', 'in_progress', 'completed', 'failed'];
const STORYBOARD = 'Shot 1:\nduration: 7.5sec\nScene: plane takes off\n\nShot 2:\nduration: 7.5sec\nScene: plane lands';

/** The SDK's types list only OpenAI's own values; resellers take others, which the SDK sends unchanged. */
const secs = (s: string) => s as VideoSeconds;

const provider = (id: string, url: string, extra = '') => providerYaml('gptge', id, url, KEYS, { extra });

/** Provider ids no client message could contain by chance; clients must never read them. */
const UP = 'reseller-q7';
const DEAD = 'dead-q7';
const FIRST = 'first-q7';
const SECOND = 'second-q7';
const IDS = [UP, DEAD, FIRST, SECOND];
const SORA_2 = `  sora-2:\n    - provider: ${UP}`;

type Env = E2EEnv<FakeGptge>;

async function start(fakeOptions: GptgeFakeOptions, models: string, extra = ''): Promise<Env> {
  const fake = await startFakeGptge({ keys: [...KEYS], ...fakeOptions });
  return startE2E(fake, reelayYaml(provider(UP, fake.url, extra), models));
}

/** Requests that concern one upstream job (its id percent-encoded in the path). */
const requestsFor = (fake: FakeGptge, job: FakeJob) => fake.requests.filter((r) => r.rawUrl.includes(`/${encodeURIComponent(job.id)}`));

describe('gptge: gpt.ge (new-api v2, task_ ids)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start({ mode: 'v2' }, `${SORA_2}\n  sora-2-pro:\n    - provider: ${UP}`);
  });
  afterAll(() => stopE2E(env));

  it('text to video: multipart upstream, OpenAI statuses only, bytes identical to the fake', async () => {
    const { client, fake } = env;
    const created = await client.videos.create({ model: 'sora-2', prompt: 'a tiger in a farmhouse yard', seconds: '8', size: '1280x720' });
    expect(created).toMatchObject({ status: 'queued', model: 'sora-2', seconds: '8', size: '1280x720' });
    const job = jobByPrompt(fake, 'a tiger in a farmhouse yard');
    expect(job.id).toMatch(/^task_/);

    const create = fake.requestsOf('create').at(-1)!;
    expect(create.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(create.parts!.map((p) => [p.name, p.value])).toEqual([
      ['model', 'sora-2'],
      ['prompt', 'a tiger in a farmhouse yard'],
      ['seconds', '8'],
      ['size', '1280x720'],
    ]);

    const { video, seen } = await untilTerminal(client, created.id);
    expect(video).toMatchObject({ id: created.id, status: 'completed', progress: 100, error: null });
    expect(seen).toContain('in_progress');
    for (const s of seen) expect(OPENAI_STATUSES).toContain(s);

    const { res, bytes } = await download(client, created.id);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(sha(bytes)).toBe(fake.videoSha256);
    // Poll and download used the key that created the job.
    for (const r of requestsFor(fake, job)) expect(r.key).toBe(job.key);
  });

  it('passes a Range through and answers 206', async () => {
    const { client, fake } = env;
    const created = await client.videos.create({ prompt: 'range please' });
    await untilTerminal(client, created.id);
    const { res, bytes } = await download(client, created.id, { Range: 'bytes=100-1123' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-1123/${fake.video.length}`);
    expect(bytes.equals(fake.video.subarray(100, 1124))).toBe(true);
    expect(fake.requestsOf('content').at(-1)!.headers.range).toBe('bytes=100-1123');
  });

  it('answers a Range past the end with 416 and the content-range new-api sent', async () => {
    const { client, fake } = env;
    const created = await client.videos.create({ prompt: 'range too far' });
    await untilTerminal(client, created.id);
    const err = await caught(download(client, created.id, { Range: `bytes=${fake.video.length}-` }));
    expect(err.status).toBe(416);
    expect(err.headers?.get('content-range')).toBe(`bytes */${fake.video.length}`);
    expect(err.code).toBe('range_not_satisfiable');
  });

  it('ignores a multi-range or malformed Range: 200 with the whole body, nothing forwarded', async () => {
    const { client, fake } = env;
    const created = await client.videos.create({ prompt: 'odd ranges' });
    await untilTerminal(client, created.id);
    for (const range of ['bytes=0-0,5-9', 'bytes=abc', 'items=0-5']) {
      const { res, bytes } = await download(client, created.id, { Range: range });
      expect(res.status).toBe(200);
      expect(sha(bytes)).toBe(fake.videoSha256);
      expect(fake.requestsOf('content').at(-1)!.headers.range).toBeUndefined();
    }
  });

  it('answers a 5xx with nowhere to fail over as a 502', async () => {
    env.fake.failNext('create', { status: 502, body: '<html><title>502 Bad Gateway</title></html>' });
    const err = await caught(env.client.videos.create({ prompt: 'bad gateway' }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_error' });
    expect(envelopeMessage(err)).toContain('The upstream provider failed (HTTP 502): 502 Bad Gateway');
  });

  it('image to video: the uploaded file becomes the multipart input_reference part, bytes intact', async () => {
    const { client, fake } = env;
    const png = await png720x1280();
    const created = await client.videos.create({
      prompt: 'animate this poster',
      size: '720x1280',
      input_reference: await toFile(png, 'poster.png', { type: 'image/png' }),
    });
    const job = jobByPrompt(fake, 'animate this poster');
    expect(job.inputReference).toMatchObject({ kind: 'file', filename: 'poster.png', contentType: 'image/png' });
    expect(job.inputReference?.kind === 'file' && job.inputReference.data.equals(png)).toBe(true);
    expect((await untilTerminal(client, created.id)).video.status).toBe('completed');
  });

  it('image to video by URL: sent as input_reference[image_url], as the SDK sends it', async () => {
    const { client, fake } = env;
    await client.videos.create({ prompt: 'from a url', input_reference: { image_url: 'https://img.example/ref.png' } });
    expect(jobByPrompt(fake, 'from a url').inputReference).toEqual({ kind: 'url', url: 'https://img.example/ref.png', form: 'input_reference[image_url]' });
  });

  it("relays OpenAI's image/size mismatch (embedded in new-api's flat body) as a 400 with its message", async () => {
    const err = await caught(
      env.client.videos.create({ prompt: 'wrong size', size: '1280x720', input_reference: await toFile(await png720x1280(), 'p.png', { type: 'image/png' }) }),
    );
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain('Inpaint image must match the requested width and height');
    expect(err.type).toBe('invalid_request_error');
  });

  it.each<[string, VideoCreateParams, string, string | null]>([
    ['a flat invalid_size', { model: 'sora-2', prompt: 'too big', size: '1792x1024' }, 'sora-2 size is invalid', null],
    ['an embedded OpenAI enum error', { model: 'sora-2', prompt: 'odd length', seconds: secs('5') }, "Invalid value: '5'", 'seconds'],
  ])('turns %s into BadRequestError with the upstream message and param', async (_label, body, message, param) => {
    const err = await caught(env.client.videos.create(body));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain(message);
    expect(err.param).toBe(param);
  });

  // Needs the dispatcher's retry interceptor to pass the 503 body through (throwOnError: false).
  it("turns new-api's 503 model_not_found into a 400 on model", async () => {
    env.fake.failNext('create', { status: 503, body: { error: { message: 'No available channel for model sora-2-pro under group default (distributor) (request id: x)', type: 'new_api_error', code: 'model_not_found' } } });
    const err = await caught(env.client.videos.create({ model: 'sora-2-pro', prompt: 'pro please' }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ param: 'model', code: 'model_not_found' });
    expect(err.message).toContain('No available channel for model sora-2-pro');
  });

  it("reports an out-of-quota key (new-api's 403 insufficient_user_quota) as a 502 and keeps the key", async () => {
    env.fake.failNext('create', { status: 403, body: { code: 'insufficient_user_quota', message: '用户额度不足, 剩余额度: ＄0.012000', data: null } });
    const err = await caught(env.client.videos.create({ prompt: 'no money' }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_quota_exhausted' });
    const ready = (await (await fetch(`${env.reelay.origin}/readyz`)).json()) as { providers: Record<string, { credentials: { state: string }[] }> };
    expect(ready.providers[UP]!.credentials.map((c) => c.state)).toEqual(['active', 'active']);
  });

  it("reports a 200 answer without a task id as a 502 carrying the panel's message", async () => {
    env.fake.failNext('create', { status: 200, body: { code: 'invalid_response', message: 'task_id is empty', data: null } });
    const err = await caught(env.client.videos.create({ prompt: 'no id' }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(envelopeMessage(err)).toContain('task_id is empty');
  });

  it('ends a moderated job failed, with the upstream error', async () => {
    const created = await env.client.videos.create({ prompt: 'something #fail-moderation' });
    const { video } = await untilTerminal(env.client, created.id);
    expect(video.status).toBe('failed');
    expect(video.error).toEqual({ code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' });
    const err = await caught(env.client.videos.downloadContent(created.id));
    expect(err).toBeInstanceOf(NotFoundError);
  });

  it('keeps the last known state on an unknown status word, and logs the word', async () => {
    const created = await env.client.videos.create({ prompt: 'odd word #unknown-status' });
    const first = await env.client.videos.retrieve(created.id); // the fake says "rendering"
    expect(first.status).toBe('queued');
    expect(env.reelay.logs.some((l) => l.includes('"rawStatus":"rendering"'))).toBe(true);
    expect((await untilTerminal(env.client, created.id)).video.status).toBe('completed');
  });

  it("maps new-api's 400 'Task is not completed yet' on content to 404 video_not_ready", async () => {
    const created = await env.client.videos.create({ prompt: 'lagging content' });
    await untilTerminal(env.client, created.id);
    env.fake.failNext('content', { status: 400, body: { error: { message: 'Task is not completed yet, current status: IN_PROGRESS', type: 'invalid_request_error' } } });
    const err = await caught(env.client.videos.downloadContent(created.id));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('video_not_ready');
    expect(err.message).toContain('Task is not completed yet');
  });

  it('pins each job to the key that created it (two keys, round robin)', async () => {
    const { client, fake } = env;
    const a = await client.videos.create({ prompt: 'pinned A' });
    const b = await client.videos.create({ prompt: 'pinned B' });
    const jobA = jobByPrompt(fake, 'pinned A');
    const jobB = jobByPrompt(fake, 'pinned B');
    expect(new Set([jobA.key, jobB.key])).toEqual(new Set(KEYS));
    await untilTerminal(client, a.id);
    await untilTerminal(client, b.id);
    expect(sha((await download(client, a.id)).bytes)).toBe(fake.videoSha256);
    expect(sha((await download(client, b.id)).bytes)).toBe(fake.videoSha256);
    for (const job of [jobA, jobB]) {
      const calls = requestsFor(fake, job);
      expect(calls.length).toBeGreaterThanOrEqual(3);
      for (const r of calls) expect(r.key).toBe(job.key);
    }
  });

  it('remixes on the upstream with the creating key', async () => {
    const { client, fake } = env;
    const source = await client.videos.create({ prompt: 'remix source' });
    await untilTerminal(client, source.id);
    const remix = await client.videos.remix(source.id, { prompt: 'now at night' });
    expect(remix).toMatchObject({ remixed_from_video_id: source.id, status: 'queued' });
    const call = fake.requestsOf('remix').at(-1)!;
    const sourceJob = jobByPrompt(fake, 'remix source');
    expect(call.rawUrl).toBe(`/v1/videos/${encodeURIComponent(sourceJob.id)}/remix`);
    expect(call.json).toEqual({ prompt: 'now at night' });
    expect(call.key).toBe(sourceJob.key);
    expect((await untilTerminal(client, remix.id)).video.status).toBe('completed');
  });

  it('offers only the video variant, and deletes from Reelay only', async () => {
    const { client, fake } = env;
    const created = await client.videos.create({ prompt: 'to delete' });
    await untilTerminal(client, created.id);
    const err = await caught(client.videos.downloadContent(created.id, { variant: 'thumbnail' }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe('variant');
    const before = fake.requests.length;
    expect(await client.videos.delete(created.id)).toEqual({ id: created.id, object: 'video.deleted', deleted: true });
    expect(fake.requests.slice(before).filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(env.reelay.logs.some((l) => l.includes('removed from Reelay only'))).toBe(true);
    expect(await caught(client.videos.retrieve(created.id))).toBeInstanceOf(NotFoundError);
  });

  it('never lets a provider key into a log line', () => {
    expect(env.reelay.logs.length).toBeGreaterThan(0);
    expectNoKeys(KEYS, env.reelay.logs.join('\n'));
  });
});

describe('gptge: the storyboard reseller (seed 002)', () => {
  let env: Env;
  let cdn: FakeCdn;
  beforeAll(async () => {
    cdn = await startFakeCdn();
    const video = defaultVideo();
    env = await start(
      {
        mode: 'storyboard',
        errorDialect: 'envelope',
        video,
        fileUrl: (job) =>
          job.prompt.includes('#expired')
            ? `${cdn.origin}/gone/${sha(Buffer.from(job.id))}.mp4`
            : cdn.put(`/v/${sha(Buffer.from(job.id))}.mp4`, video),
      },
      `  sora-2:
    - provider: ${UP}
      seconds: ["10", "15", "25"]
  sora-2-pro:
    - provider: ${UP}
      seconds: ["10", "15", "25"]
  veo-3.1:
    - provider: ${UP}
      seconds: ["4", "8", "12"]`,
    );
  });
  afterAll(async () => {
    await stopE2E(env);
    await cdn.close();
  });

  it('passes a storyboard prompt byte for byte, polls processing as in_progress, downloads video_url from the CDN without credentials', async () => {
    const { client, fake } = env;
    const created = await client.videos.create({ model: 'sora-2', prompt: STORYBOARD, seconds: secs('15'), size: '720x1280' });
    expect(created).toMatchObject({ prompt: STORYBOARD, seconds: '15' });
    const job = jobByPrompt(fake, STORYBOARD);
    const sent = fake.requestsOf('create').at(-1)!.parts!.find((p) => p.name === 'prompt')!;
    expect(sent.data.equals(Buffer.from(STORYBOARD, 'utf8'))).toBe(true);

    // The id has a colon; every path carries it percent-encoded.
    expect(job.id).toMatch(/^sora-2:task_[0-9a-z]{26}$/);
    const { video, seen } = await untilTerminal(client, created.id);
    expect(video.status).toBe('completed');
    expect(seen).toContain('in_progress');
    for (const s of seen) expect(OPENAI_STATUSES).toContain(s);
    const polls = requestsFor(fake, job);
    expect(polls.length).toBeGreaterThan(0);
    for (const r of polls) {
      expect(r.rawUrl).toContain('sora-2%3Atask_');
      expect(r.key).toBe(job.key);
    }

    const cdnBefore = cdn.requests.length;
    const contentBefore = fake.requestsOf('content').length;
    const { bytes } = await download(client, created.id);
    expect(sha(bytes)).toBe(fake.videoSha256);
    const hits = cdn.requests.slice(cdnBefore);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.headers.authorization).toBeUndefined();
    expect(fake.requestsOf('content').length).toBe(contentBefore);
  });

  it('keeps CRLFs of a JSON client byte for byte (sora-2-pro, 25 s, 1792x1024)', async () => {
    const prompt = 'Shot 1:\r\nduration: 12.5sec\r\nScene: dawn\r\n\r\nShot 2:\r\nduration: 12.5sec\r\nScene: dusk';
    const res = await fetch(`${env.reelay.baseURL}/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sora-2-pro', prompt, seconds: '25', size: '1792x1024' }),
    });
    expect(res.status).toBe(200);
    const sent = env.fake.requestsOf('create').at(-1)!.parts!.find((p) => p.name === 'prompt')!;
    expect(sent.data.equals(Buffer.from(prompt, 'utf8'))).toBe(true);
  });

  it('serves veo-3.1 with its own durations', async () => {
    const created = await env.client.videos.create({ model: 'veo-3.1', prompt: 'veo clip', seconds: '8', size: '1280x720' });
    expect(jobByPrompt(env.fake, 'veo clip')).toMatchObject({ model: 'veo-3.1', seconds: '8', id: expect.stringMatching(/^veo-3\.1:task_/) as string });
    expect((await untilTerminal(env.client, created.id)).video.status).toBe('completed');
  });

  it("relays the reseller's own duration rule (envelope dialect) as a clean 400", async () => {
    const err = await caught(env.client.videos.create({ model: 'sora-2', prompt: 'too long for sora-2', seconds: secs('25') }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(envelopeMessage(err)).toBe("Invalid value: '25'. Supported values are: '10', '15'.");
    expect(err.code).toBe('invalid_value');
  });

  it('uploads an image reference as the multipart file part', async () => {
    const png = makePng(1280, 720);
    const created = await env.client.videos.create({
      model: 'sora-2',
      prompt: 'storyboard from a still',
      seconds: secs('10'),
      size: '1280x720',
      input_reference: await toFile(png, 'still.png', { type: 'image/png' }),
    });
    const job = jobByPrompt(env.fake, 'storyboard from a still');
    expect(job.inputReference?.kind === 'file' && job.inputReference.data.equals(png)).toBe(true);
    expect((await untilTerminal(env.client, created.id)).video.status).toBe('completed');
  });

  it('fails late with the free-text reason', async () => {
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'late fail #fail-moderation', seconds: secs('10') });
    const { video } = await untilTerminal(env.client, created.id);
    expect(video.status).toBe('failed');
    expect(video.error?.message).toBe('视频内容审核未通过，请修改提示词后重试');
  });

  it('falls back to /content when the video_url has expired', async () => {
    const { client, fake } = env;
    const created = await client.videos.create({ model: 'sora-2', prompt: 'link rot #expired', seconds: secs('10') });
    await untilTerminal(client, created.id);
    const contentBefore = fake.requestsOf('content').length;
    const cdnBefore = cdn.requests.length;
    const { bytes } = await download(client, created.id);
    expect(sha(bytes)).toBe(fake.videoSha256);
    expect(cdn.requests.slice(cdnBefore).map((r) => [r.path.startsWith('/gone/'), r.headers.authorization])).toEqual([[true, undefined]]);
    const proxied = fake.requestsOf('content').slice(contentBefore);
    expect(proxied).toHaveLength(1);
    expect(proxied[0]!.key).toBe(jobByPrompt(fake, 'link rot #expired').key);
  });

  it('answers a Range past the end of the CDN file with 416 and the CDN\'s content-range', async () => {
    const created = await env.client.videos.create({ model: 'sora-2', prompt: 'cdn range too far', seconds: secs('10') });
    await untilTerminal(env.client, created.id);
    const err = await caught(download(env.client, created.id, { Range: 'bytes=-0' }));
    expect(err.status).toBe(416);
    expect(err.headers?.get('content-range')).toBe(`bytes */${env.fake.video.length}`);
  });

  it('never lets a provider key into a log line or reach the CDN', () => {
    expectNoKeys(KEYS, env.reelay.logs.join('\n'));
    for (const r of cdn.requests) expect(r.headers.authorization).toBeUndefined();
  });
});

describe('gptge: a 416 from a CDN that sends no content-range', () => {
  let env: Env;
  let cdn: FakeCdn;
  beforeAll(async () => {
    cdn = await startFakeCdn({ unsatisfiedContentRange: false });
    const video = defaultVideo();
    env = await start({ mode: 'storyboard', video, fileUrl: (job) => cdn.put(`/v/${sha(Buffer.from(job.id))}.mp4`, video) }, `  sora-2:\n    - provider: ${UP}\n      seconds: ["10"]`);
  });
  afterAll(async () => {
    await stopE2E(env);
    await cdn.close();
  });

  it('learns the length from one GET without the Range (no key, body unread) and sends bytes */N', async () => {
    const created = await env.client.videos.create({ prompt: 'no content-range', seconds: secs('10') });
    await untilTerminal(env.client, created.id);
    const err = await caught(download(env.client, created.id, { Range: `bytes=${env.fake.video.length + 5}-` }));
    expect(err.status).toBe(416);
    expect(err.headers?.get('content-range')).toBe(`bytes */${env.fake.video.length}`);
    expect(cdn.requests.map((r) => [r.headers.range, r.headers.authorization])).toEqual([
      [`bytes=${env.fake.video.length + 5}-`, undefined],
      [undefined, undefined],
    ]);
  });
});

describe('gptge: /content answering JSON with a URL', () => {
  let cdn: FakeCdn;
  let foreign: Env;
  let local: Env;
  beforeAll(async () => {
    cdn = await startFakeCdn();
    const video = defaultVideo();
    foreign = await start(
      { content: 'json', video, fileUrl: (job) => (job.prompt.includes('#ftp') ? 'ftp://files.example/v.mp4' : cdn.put(`/f/${sha(Buffer.from(job.id))}.mp4`, video)) },
      SORA_2,
    );
    local = await start({ content: 'json' }, SORA_2); // URL on the reseller's own origin
  });
  afterAll(async () => {
    await stopE2E(foreign);
    await stopE2E(local);
    await cdn.close();
  });

  it('follows a foreign URL without credentials', async () => {
    const created = await foreign.client.videos.create({ prompt: 'json content' });
    await untilTerminal(foreign.client, created.id);
    const { bytes } = await download(foreign.client, created.id);
    expect(sha(bytes)).toBe(foreign.fake.videoSha256);
    expect(foreign.fake.requestsOf('content').at(-1)!.key).toBe(jobByPrompt(foreign.fake, 'json content').key);
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('answers JSON naming no usable URL with a 502', async () => {
    const created = await foreign.client.videos.create({ prompt: 'json content #ftp' });
    await untilTerminal(foreign.client, created.id);
    const err = await caught(foreign.client.videos.downloadContent(created.id));
    expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(envelopeMessage(err)).toContain('The upstream provider answered content with JSON that names no URL.');
  });

  it("follows a URL on the reseller's own origin with the creating key", async () => {
    const created = await local.client.videos.create({ prompt: 'json content, same origin' });
    await untilTerminal(local.client, created.id);
    const { bytes } = await download(local.client, created.id);
    expect(sha(bytes)).toBe(local.fake.videoSha256);
    const file = local.fake.requestsOf('files').at(-1)!;
    expect(file.key).toBe(jobByPrompt(local.fake, 'json content, same origin').key);
  });
});

describe('gptge: url / metadata.url on the finished job', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start({ urlField: 'metadata.url', mode: 'v1' }, SORA_2);
  });
  afterAll(() => stopE2E(env));

  it('downloads metadata.url directly (same origin: with the creating key), not via /content', async () => {
    const created = await env.client.videos.create({ prompt: 'kling via new-api' });
    expect(jobByPrompt(env.fake, 'kling via new-api').id).toMatch(/^video_[0-9a-f]{48}$/);
    await untilTerminal(env.client, created.id);
    const { bytes } = await download(env.client, created.id);
    expect(sha(bytes)).toBe(env.fake.videoSha256);
    expect(env.fake.requestsOf('content')).toHaveLength(0);
    expect(env.fake.requestsOf('files').at(-1)!.key).toBe(jobByPrompt(env.fake, 'kling via new-api').key);
  });
});

describe('gptge: encoding json', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start({ mode: 'v1', words: { queued: 'pending' } }, SORA_2, '    encoding: json\n');
  });
  afterAll(() => stopE2E(env));

  it('sends JSON with string seconds when there is no file, and reads pending as queued', async () => {
    const created = await env.client.videos.create({ prompt: 'json body', seconds: '8', size: '1280x720' });
    expect(created.status).toBe('queued');
    const create = env.fake.requestsOf('create').at(-1)!;
    expect(create.headers['content-type']).toBe('application/json');
    expect(create.json).toEqual({ model: 'sora-2', prompt: 'json body', seconds: '8', size: '1280x720' });
    expect((await untilTerminal(env.client, created.id)).video.status).toBe('completed');
  });

  it('carries a URL reference as a plain string', async () => {
    await env.client.videos.create({ prompt: 'json url', input_reference: { image_url: 'https://img.example/r.png' } });
    expect(env.fake.requestsOf('create').at(-1)!.json).toMatchObject({ input_reference: 'https://img.example/r.png' });
  });

  it('still sends multipart when there is a file', async () => {
    await env.client.videos.create({ prompt: 'json file', size: '720x1280', input_reference: await toFile(await png720x1280(), 'r.png', { type: 'image/png' }) });
    expect(env.fake.requestsOf('create').at(-1)!.headers['content-type']).toMatch(/^multipart\/form-data/);
  });
});

describe('gptge: key pool', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start({}, SORA_2);
  });
  afterAll(() => stopE2E(env));

  it('disables a key answered with 401, shows it in /readyz and carries on with the other', async () => {
    const { fake, client, reelay } = env;
    fake.revokeKey(KEYS[0]);
    const first = await client.videos.create({ prompt: 'after revoke 1' });
    const second = await client.videos.create({ prompt: 'after revoke 2' });
    expect(first.status).toBe('queued');
    expect(jobByPrompt(fake, 'after revoke 1').key).toBe(KEYS[1]);
    expect(jobByPrompt(fake, 'after revoke 2').key).toBe(KEYS[1]);
    expect(fake.requestsOf('create').filter((r) => r.key === KEYS[0])).toHaveLength(1);
    await untilTerminal(client, second.id);

    const ready = (await (await fetch(`${reelay.origin}/readyz`)).json()) as { providers: Record<string, { credentials: { fingerprint: string; state: string }[] }> };
    expect(ready.providers[UP]!.credentials).toEqual([
      expect.objectContaining({ fingerprint: credentialFingerprint(UP, KEYS[0]), state: 'disabled' }),
      expect.objectContaining({ fingerprint: credentialFingerprint(UP, KEYS[1]), state: 'active' }),
    ]);
    expect(reelay.logs.some((l) => l.includes('upstream credential disabled') && l.includes(credentialFingerprint(UP, KEYS[0])))).toBe(true);
  });

  it('scrubs a key the upstream echoes back, and answers 502 upstream_auth_failed when no key is left', async () => {
    const { fake, client, reelay } = env;
    fake.failNext('create', { status: 401, body: { error: { message: `Incorrect API key provided: ${KEYS[1]}`, type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const err = await caught(client.videos.create({ prompt: 'last key refused' }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expectNoKeys(KEYS, JSON.stringify(err.error));
    expectNoKeys(KEYS, err.message);
    const next = await caught(client.videos.create({ prompt: 'nothing left' }));
    expect(next).toMatchObject({ status: 502, code: 'no_upstream_credentials' });
    expectNoKeys(KEYS, reelay.logs.join('\n'));
  });
});

describe('gptge: 429 from new-api', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start({}, SORA_2);
  });
  afterAll(() => stopE2E(env));

  it('answers 429 with retry-after when every key is saturated', async () => {
    const err = await caught(env.client.videos.create({ prompt: 'busy #upstream-429' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(envelopeMessage(err)).toBe('当前分组上游负载已饱和，请稍后再试');
    expect(err.headers?.get('retry-after')).toBe('30');
    // Both keys were tried once each, then cooled down.
    expect(env.fake.requestsOf('create').map((r) => r.key).sort()).toEqual([...KEYS].sort());
  });
});

describe('gptge: failover across targets', () => {
  let a: FakeGptge;
  let b: FakeGptge;
  let reelay: RunningReelay;
  let client: OpenAI;
  beforeAll(async () => {
    a = await startFakeGptge({ keys: [...KEYS] });
    b = await startFakeGptge({ keys: [...KEYS], mode: 'storyboard' });
    reelay = await startReelay({
      yaml: reelayYaml(
        [provider(DEAD, 'http://127.0.0.1:9/v1'), provider(FIRST, a.url), provider(SECOND, b.url)].join('\n'),
        `  sora-2:
    - provider: ${FIRST}
    - provider: ${SECOND}
      seconds: ["10", "15"]
  sora-2-dead:
    - provider: ${DEAD}
    - provider: ${FIRST}
      model: sora-2
  dead-only:
    - provider: ${DEAD}`,
      ),
    });
    client = reelay.client();
  });
  afterAll(async () => {
    await reelay.close();
    await a.close();
    await b.close();
  });

  it.each([
    ['a 5xx', { status: 502, body: '<html><title>502 Bad Gateway</title></html>' }],
    ["new-api's 503 model_not_found", { status: 503, body: { error: { message: 'No available channel for model sora-2', type: 'new_api_error', code: 'model_not_found' } } }],
  ])('moves on to the next target after %s, and polls the one that accepted', async (_label, response) => {
    a.failNext('create', response);
    const prompt = `failover ${String(response.status)}`;
    const created = await client.videos.create({ prompt, seconds: secs('10') });
    expect([...a.jobs.values()].some((j) => j.prompt === prompt)).toBe(false);
    expect([...b.jobs.values()].some((j) => j.prompt === prompt)).toBe(true);
    expect((await untilTerminal(client, created.id)).video.status).toBe('completed');
  });

  it('moves on after a refused connection', async () => {
    const created = await client.videos.create({ model: 'sora-2-dead', prompt: 'dead first' });
    expect([...a.jobs.values()].some((j) => j.prompt === 'dead first')).toBe(true);
    expect((await untilTerminal(client, created.id)).video.status).toBe('completed');
  });

  it('answers a refused connection with nowhere to fail over as a 502 upstream_unreachable', async () => {
    const err = await caught(client.videos.create({ model: 'dead-only', prompt: 'nobody there' }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_unreachable' });
    expect(envelopeMessage(err)).toMatch(/^Could not reach the upstream provider \(ECONNREFUSED\)\./);
    // The operator's log line names the provider the client is not told about.
    expect(reelay.logs.some((l) => l.includes('"upstream transport error"') && l.includes(DEAD))).toBe(true);
  });
});

// Runs last: it reads what every test above was told.
describe('gptge: what clients are told', () => {
  it('never names a provider in any error message, envelope or header (5xx, 401, 403, 429, 416, refused connection, bad content URL…)', () => {
    expect(toldClients().length).toBeGreaterThan(15);
    expectNoProviderIds(IDS, ...toldClients());
  });
});
