import type OpenAI from 'openai';
import { BadRequestError, InternalServerError, NotFoundError, RateLimitError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialFingerprint } from '../../src/providers/http/credential-pool.js';
import { startFakeCdn, type FakeCdn } from '../fakes/fake-cdn.js';
import { fixtureBody, startFakeOpenAI, type FakeOptions, type OpenAIShapedFake } from '../fakes/openai-upstream.js';
import { startReelay } from '../helpers/reelay.js';
import { caught, envelopeMessage, expectNoKeys, expectNoProviderIds, jobByPrompt, png720x1280, providerYaml, reelayYaml, sha, startE2E, stopE2E, toldClients, untilTerminal, type E2EEnv } from './support/e2e-env.js';

/**
 * The `openai` adapter end to end: the official SDK → Reelay → a fake of
 * OpenAI's own /v1/videos, over real HTTP, with the default production dispatcher.
 */

const KEYS = ['sk-upstream-openai-key-1111aaaa', 'sk-upstream-openai-key-2222bbbb'] as const;
const OPENAI_STATUSES = new Set(['queued', 'in_progress', 'completed', 'failed']);
const STORYBOARD = 'Shot 1:\nduration: 4sec\nScene: a lighthouse at dawn\n\nShot 2:\nduration: 4sec\nScene: waves crash';

/** Provider ids no client message could contain by chance; clients must never read them. */
const UP = 'oai-up-q7';
const DEAD = 'oai-dead-q7';
const BROKEN = 'oai-broken-q7';
const GOOD = 'oai-good-q7';
const IDS = [UP, DEAD, BROKEN, GOOD];

const yaml = (providers: string, models = `  sora-2:\n    - provider: ${UP}`) => reelayYaml(providers, models);
const openaiProvider = (id: string, url: string, keys: readonly string[] = KEYS, timeoutMs = 2000) => providerYaml('openai', id, url, keys, { timeoutMs });

type Env = E2EEnv<OpenAIShapedFake>;

async function start(options: FakeOptions = {}): Promise<Env> {
  const fake = await startFakeOpenAI({ keys: [...KEYS], ...options });
  return startE2E(fake, yaml(openaiProvider(UP, fake.url)));
}

async function bytesOf(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

describe('openai adapter: main flow', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => stopE2E(env));

  it('creates from text with the multipart body the SDK sends, storyboard prompt byte for byte', async () => {
    const video = await env.client.videos.create({ model: 'sora-2', prompt: STORYBOARD, seconds: '8', size: '1280x720' });
    expect(video).toMatchObject({ object: 'video', status: 'queued', progress: 0, model: 'sora-2', seconds: '8', size: '1280x720', prompt: STORYBOARD });
    expect(video.id).toMatch(/^video_[0-9a-f]{44}$/);
    const job = jobByPrompt(env.fake, STORYBOARD);
    expect(video.id).not.toBe(job.id);
    const create = env.fake.requests.find((r) => r.verb === 'create' && r.parts?.some((p) => p.value === STORYBOARD))!;
    expect(create.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(create.parts!.map((p) => [p.name, p.value])).toEqual([
      ['model', 'sora-2'],
      ['prompt', STORYBOARD],
      ['seconds', '8'],
      ['size', '1280x720'],
    ]);
    expect(create.body.includes(Buffer.from(STORYBOARD))).toBe(true);
    expect(KEYS.map((k) => `Bearer ${k}`)).toContain(create.headers.authorization);
  });

  it('polls to completed showing only OpenAI statuses, then serves byte-identical content for every variant', async () => {
    const created = await env.client.videos.create({ prompt: 'a red fox in snow' });
    const { video, seen } = await untilTerminal(env.client, created.id);
    expect(seen.every((s) => OPENAI_STATUSES.has(s))).toBe(true);
    expect(seen).toContain('in_progress');
    expect(video).toMatchObject({ id: created.id, status: 'completed', progress: 100, error: null });
    const job = jobByPrompt(env.fake, 'a red fox in snow');
    expect(video.completed_at).toBe(job.createdAt + 60);
    expect(video.expires_at).toBe(job.createdAt + 60 + 3600);

    const res = await env.client.videos.downloadContent(created.id);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(sha(await bytesOf(res))).toBe(sha(env.fake.bytes(job.id, 'video')));
    for (const [variant, type] of [['thumbnail', 'image/webp'], ['spritesheet', 'image/jpeg']] as const) {
      const r = await env.client.videos.downloadContent(created.id, { variant });
      expect(r.headers.get('content-type')).toBe(type);
      expect(sha(await bytesOf(r))).toBe(sha(env.fake.bytes(job.id, variant)));
    }
    const contentCalls = env.fake.requestsFor(job.id).filter((r) => r.verb === 'content');
    expect(contentCalls.map((r) => r.query.get('variant'))).toEqual([null, 'thumbnail', 'spritesheet']);
  });

  it('passes Range through and answers 206 with the upstream Content-Range', async () => {
    const created = await env.client.videos.create({ prompt: 'a range request' });
    await untilTerminal(env.client, created.id);
    const job = jobByPrompt(env.fake, 'a range request');
    const res = await env.client.videos.downloadContent(created.id, {}, { headers: { Range: 'bytes=1000-1999' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 1000-1999/${env.fake.bytes(job.id).length}`);
    expect((await bytesOf(res)).equals(env.fake.bytes(job.id).subarray(1000, 2000))).toBe(true);
    expect(env.fake.requestsFor(job.id).find((r) => r.verb === 'content')!.headers.range).toBe('bytes=1000-1999');
  });

  it('answers a Range past the end with 416 and bytes */N, for every variant', async () => {
    const created = await env.client.videos.create({ prompt: 'a range too far' });
    await untilTerminal(env.client, created.id);
    const job = jobByPrompt(env.fake, 'a range too far');
    for (const variant of ['video', 'thumbnail'] as const) {
      const length = env.fake.bytes(job.id, variant).length;
      const err = await caught(env.client.videos.downloadContent(created.id, { variant }, { headers: { Range: `bytes=${length}-` } }));
      expect(err).toMatchObject({ status: 416, code: 'range_not_satisfiable' });
      expect(err.headers?.get('content-range')).toBe(`bytes */${length}`);
    }
  });

  it('sends an uploaded reference image as the input_reference file part, bytes intact', async () => {
    const png = await png720x1280();
    await env.client.videos.create({ prompt: 'animate this picture', size: '720x1280', input_reference: await toFile(png, 'ref.png', { type: 'image/png' }) });
    const job = jobByPrompt(env.fake, 'animate this picture');
    expect(job.inputReference).toMatchObject({ name: 'input_reference', filename: 'ref.png', type: 'image/png' });
    expect(sha(job.inputReference!.data!)).toBe(sha(png));
  });

  it('sends a reference URL and a file id in bracket notation', async () => {
    await env.client.videos.create({ prompt: 'from a url', input_reference: { image_url: 'https://images.example/cat.png' } });
    await env.client.videos.create({ prompt: 'from a file id', input_reference: { file_id: 'file-abc123' } });
    const parts = (prompt: string) => env.fake.requests.find((r) => r.verb === 'create' && r.parts?.some((p) => p.value === prompt))!.parts!;
    expect(parts('from a url')).toContainEqual({ name: 'input_reference[image_url]', value: 'https://images.example/cat.png' });
    expect(parts('from a file id')).toContainEqual({ name: 'input_reference[file_id]', value: 'file-abc123' });
  });

  it('relays a reference image whose size differs from `size` as a 400 with OpenAI’s message', async () => {
    const png = await png720x1280();
    const err = await caught(env.client.videos.create({ prompt: 'mismatch', size: '1280x720', input_reference: await toFile(png, 'ref.png', { type: 'image/png' }) }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain('Inpaint image must match the requested width and height');
  });

  it('ends a failed job failed, with the upstream error object', async () => {
    const created = await env.client.videos.create({ prompt: 'please #fail this' });
    const { video, seen } = await untilTerminal(env.client, created.id);
    expect(seen.every((s) => OPENAI_STATUSES.has(s))).toBe(true);
    expect(video.status).toBe('failed');
    expect(video.error).toEqual(fixtureBody<{ error: unknown }>('openai', 'status-failed-moderation').error);
    const err = await caught(env.client.videos.downloadContent(created.id));
    expect(err).toBeInstanceOf(NotFoundError);
  });

  it.each([
    ['seconds', { seconds: '5' }, undefined, "Invalid value: '5'. Supported values are: '4', '8', '12'."],
    ['size', { size: '640x480' }, undefined, "Invalid value: '640x480'. Supported values are: '720x1280', '1280x720', '1024x1792', '1792x1024'."],
    // The alias maps to an upstream model OpenAI does not know.
    ['model', {}, 'sora-9', "Invalid value: 'sora-9'. Supported values are: 'sora-2', 'sora-2-pro'."],
  ] as const)('relays OpenAI’s 400 for a bad %s as BadRequestError with message and param', async (param, extra, upstreamModel, message) => {
    const reelay = upstreamModel
      ? await startReelay({ yaml: yaml(openaiProvider(UP, env.fake.url), `  sora-2:\n    - provider: ${UP}\n      model: ${upstreamModel}`) })
      : env.reelay;
    try {
      const err = await caught(reelay.client().videos.create({ prompt: `bad ${param}`, ...extra } as OpenAI.Videos.VideoCreateParams));
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err.message).toBe(`400 ${message}`);
      expect(err.param).toBe(param);
      expect(err.code).toBe('invalid_value');
    } finally {
      if (reelay !== env.reelay) await reelay.close();
    }
  });

  it('remixes with the creating key and returns a new video remixed from the source', async () => {
    const created = await env.client.videos.create({ prompt: 'a paper boat' });
    await untilTerminal(env.client, created.id);
    const source = jobByPrompt(env.fake, 'a paper boat');
    const remixed = await env.client.videos.remix(created.id, { prompt: 'the boat in a storm' });
    expect(remixed).toMatchObject({ remixed_from_video_id: created.id, prompt: 'the boat in a storm', status: 'queued' });
    expect(remixed.id).not.toBe(created.id);
    const call = env.fake.requestsFor(source.id).find((r) => r.verb === 'remix')!;
    expect(call.headers['content-type']).toMatch(/^application\/json/);
    expect(call.json).toEqual({ prompt: 'the boat in a storm' });
    expect(call.headers.authorization).toBe(`Bearer ${source.key}`);
    const child = jobByPrompt(env.fake, 'the boat in a storm');
    expect(child.remixedFrom).toBe(source.id);
    const { video } = await untilTerminal(env.client, remixed.id);
    expect(video.status).toBe('completed');
    expect(sha(await bytesOf(await env.client.videos.downloadContent(remixed.id)))).toBe(sha(env.fake.bytes(child.id)));
  });

  it('deletes upstream with the creating key, then the video is gone', async () => {
    const created = await env.client.videos.create({ prompt: 'to be deleted' });
    const job = jobByPrompt(env.fake, 'to be deleted');
    expect(await env.client.videos.delete(created.id)).toEqual({ id: created.id, object: 'video.deleted', deleted: true });
    const call = env.fake.requestsFor(job.id).find((r) => r.verb === 'delete')!;
    expect(call.headers.authorization).toBe(`Bearer ${job.key}`);
    expect(env.fake.jobs.has(job.id)).toBe(false);
    expect(await caught(env.client.videos.retrieve(created.id))).toBeInstanceOf(NotFoundError);
  });

  it('pins every call for a video to the key that created it (two keys, round-robin)', async () => {
    const prompts = ['pin one', 'pin two', 'pin three', 'pin four'];
    const videos = [];
    for (const prompt of prompts) videos.push(await env.client.videos.create({ prompt }));
    for (const v of videos) {
      await untilTerminal(env.client, v.id);
      await bytesOf(await env.client.videos.downloadContent(v.id));
    }
    const used = new Set<string>();
    for (const prompt of prompts) {
      const job = jobByPrompt(env.fake, prompt);
      used.add(job.key);
      const calls = env.fake.requestsFor(job.id);
      expect(calls.map((c) => c.verb)).toEqual(expect.arrayContaining(['status', 'content']));
      for (const c of calls) expect(c.headers.authorization).toBe(`Bearer ${job.key}`);
    }
    expect(used).toEqual(new Set(KEYS));
  });

  it('keeps the last state on an unknown upstream word and logs the word', async () => {
    const fake = await startFakeOpenAI({
      keys: [...KEYS],
      steps: () => [{ status: 'queued' }, { status: 'in_progress', word: 'warming_up', progress: 10 }, { status: 'completed' }],
    });
    const reelay = await startReelay({ yaml: yaml(openaiProvider(UP, fake.url)) });
    try {
      const client = reelay.client();
      const created = await client.videos.create({ prompt: 'odd words' });
      expect((await client.videos.retrieve(created.id)).status).toBe('queued');
      expect(reelay.logs.some((l) => l.includes('warming_up') && l.includes('"level":"warn"'))).toBe(true);
      expect((await client.videos.retrieve(created.id)).status).toBe('completed');
    } finally {
      await reelay.close();
      await fake.close();
    }
  });

  it('never lets a provider key into a response, an error or a log line', async () => {
    const bodies: string[] = [];
    const list = await env.client.videos.list({ limit: 100 });
    bodies.push(JSON.stringify(list));
    env.fake.failNext('create', { status: 400, body: { error: { message: `Key ${KEYS[0]} is not allowed here`, type: 'invalid_request_error', param: null, code: null } } });
    const err = await caught(env.client.videos.create({ prompt: 'leak attempt' }));
    expect(err).toBeInstanceOf(BadRequestError);
    bodies.push(err.message, JSON.stringify((err as { error?: unknown }).error));
    const ready = await fetch(`${env.reelay.origin}/readyz`);
    bodies.push(await ready.text());
    expectNoKeys(KEYS, ...bodies, ...env.reelay.logs);
    expect(env.reelay.logs.length).toBeGreaterThan(10);
  });
});

describe('openai adapter: ids with reserved characters', () => {
  let env: Env;
  let n = 0;
  beforeAll(async () => {
    env = await start({ ids: () => `sora-2:task_01k7yh/${++n}` });
  });
  afterAll(() => stopE2E(env));

  it('percent-encodes the upstream id in every path', async () => {
    const created = await env.client.videos.create({ prompt: 'colon id' });
    await untilTerminal(env.client, created.id);
    const job = jobByPrompt(env.fake, 'colon id');
    expect(job.id).toBe('sora-2:task_01k7yh/1');
    expect(sha(await bytesOf(await env.client.videos.downloadContent(created.id)))).toBe(sha(env.fake.bytes(job.id)));
    await env.client.videos.delete(created.id);
    const calls = env.fake.requestsFor(job.id);
    expect(calls.map((c) => c.verb)).toEqual(['status', 'status', 'content', 'delete']);
    for (const c of calls) expect(c.rawUrl.startsWith('/v1/videos/sora-2%3Atask_01k7yh%2F1')).toBe(true);
  });
});

describe('openai adapter: credentials', () => {
  it('disables a key answered with 401, serves the create with the other key, and reports it in /readyz', async () => {
    const env = await start();
    try {
      env.fake.rejectKey(KEYS[0]);
      const created = await env.client.videos.create({ prompt: 'after a 401' });
      expect(created.status).toBe('queued');
      expect(jobByPrompt(env.fake, 'after a 401').key).toBe(KEYS[1]);
      for (const prompt of ['next one', 'and another']) {
        await env.client.videos.create({ prompt });
        expect(jobByPrompt(env.fake, prompt).key).toBe(KEYS[1]);
      }
      expect(env.fake.requests.filter((r) => r.headers.authorization === `Bearer ${KEYS[0]}`)).toHaveLength(1);
      const ready = (await (await fetch(`${env.reelay.origin}/readyz`)).json()) as { providers: Record<string, { credentials: Array<{ fingerprint: string; state: string; reason?: string }> }> };
      expect(ready.providers[UP]!.credentials).toEqual([
        { fingerprint: credentialFingerprint(UP, KEYS[0]), state: 'disabled', reason: expect.stringMatching(/^HTTP 401 invalid_api_key/) },
        { fingerprint: credentialFingerprint(UP, KEYS[1]), state: 'active' },
      ]);
      const line = env.reelay.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.msg === 'upstream credential disabled');
      expect(line).toMatchObject({ level: 'error', credential: credentialFingerprint(UP, KEYS[0]) });
      expectNoKeys(KEYS, ...env.reelay.logs);
    } finally {
      await stopE2E(env);
    }
  });

  it('answers 502 upstream_auth_failed when every key is refused', async () => {
    const env = await start();
    try {
      env.fake.rejectKey(KEYS[0]);
      env.fake.rejectKey(KEYS[1]);
      const err = await caught(env.client.videos.create({ prompt: 'nobody home' }));
      expect(err).toBeInstanceOf(InternalServerError);
      expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
      expectNoKeys(KEYS, err.message);
      const again = await caught(env.client.videos.create({ prompt: 'still nobody' }));
      expect(again).toMatchObject({ status: 502, code: 'no_upstream_credentials' });
    } finally {
      await stopE2E(env);
    }
  });

  it('returns 429 with the upstream retry-after when every key is rate limited', async () => {
    const env = await start();
    try {
      const reply = { status: 429, body: fixtureBody('openai', 'error-rate-limit'), headers: { 'retry-after': '7' } };
      env.fake.failNext('create', reply, 2);
      const err = await caught(env.client.videos.create({ prompt: 'too fast' }));
      expect(err).toBeInstanceOf(RateLimitError);
      expect(err.headers?.get('retry-after')).toBe('7');
      expect(err.message).toContain('Rate limit reached for sora-2');
      expect(env.fake.requests.filter((r) => r.verb === 'create').map((r) => r.headers.authorization)).toEqual(KEYS.map((k) => `Bearer ${k}`));
      const ready = (await (await fetch(`${env.reelay.origin}/readyz`)).json()) as { providers: Record<string, { credentials: Array<{ state: string }> }> };
      expect(ready.providers[UP]!.credentials.map((c) => c.state)).toEqual(['cooling_down', 'cooling_down']);
    } finally {
      await stopE2E(env);
    }
  });

  it('fetches a content URL on a foreign host without credentials', async () => {
    const cdn: FakeCdn = await startFakeCdn();
    const env = await start({ contentRedirect: (job, variant) => cdn.put(`/signed/${encodeURIComponent(job.id)}.${variant}`, env.fake.bytes(job.id, variant)) });
    try {
      const created = await env.client.videos.create({ prompt: 'served by a cdn' });
      await untilTerminal(env.client, created.id);
      const job = jobByPrompt(env.fake, 'served by a cdn');
      const res = await env.client.videos.downloadContent(created.id);
      expect(sha(await bytesOf(res))).toBe(sha(env.fake.bytes(job.id)));
      expect(env.fake.requestsFor(job.id).find((r) => r.verb === 'content')!.headers.authorization).toBe(`Bearer ${job.key}`);
      expect(cdn.requests).toHaveLength(1);
      expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
      expectNoKeys(KEYS, JSON.stringify(cdn.requests));
    } finally {
      await stopE2E(env);
      await cdn.close();
    }
  });
});

describe('openai adapter: content the upstream points at wrongly', () => {
  it('answers a redirect to an unparsable URL with a 502 upstream_bad_response', async () => {
    const env = await start({ contentRedirect: () => 'http://[not-a-host/v.mp4' });
    try {
      const created = await env.client.videos.create({ prompt: 'bad location' });
      await untilTerminal(env.client, created.id);
      const err = await caught(env.client.videos.downloadContent(created.id));
      expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response' });
      expect(envelopeMessage(err)).toMatch(/^The upstream provider gave an invalid content URL\./);
    } finally {
      await stopE2E(env);
    }
  });
});

describe('openai adapter: failover across targets', () => {
  it('tries the next target on 5xx and on a refused connection, never after acceptance', async () => {
    const broken = await startFakeOpenAI({ keys: [...KEYS] });
    const good = await startFakeOpenAI({ keys: [...KEYS] });
    const dead = await startFakeOpenAI({ keys: [...KEYS] });
    const deadUrl = dead.url;
    await dead.close();
    broken.failNext('create', { status: 503, body: fixtureBody('openai', 'error-server') }, 10);
    const reelay = await startReelay({
      yaml: yaml(
        openaiProvider(DEAD, deadUrl) + openaiProvider(BROKEN, broken.url) + openaiProvider(GOOD, good.url),
        `  sora-2:\n    - provider: ${DEAD}\n    - provider: ${BROKEN}\n    - provider: ${GOOD}\n  dead-only:\n    - provider: ${DEAD}`,
      ),
    });
    try {
      const client = reelay.client();
      const created = await client.videos.create({ prompt: 'fail over please' });
      expect(created.status).toBe('queued');
      expect(broken.requests.filter((r) => r.verb === 'create')).toHaveLength(1);
      const job = jobByPrompt(good, 'fail over please');
      await untilTerminal(client, created.id);
      expect(sha(await bytesOf(await client.videos.downloadContent(created.id)))).toBe(sha(good.bytes(job.id)));
      expect(broken.requests.filter((r) => r.verb !== 'create')).toHaveLength(0);

      // With nowhere left to go, the refused connection reaches the client as a 502.
      const refused = await caught(client.videos.create({ model: 'dead-only', prompt: 'nobody home' }));
      expect(refused).toMatchObject({ status: 502, code: 'upstream_unreachable' });
      expect(envelopeMessage(refused)).toMatch(/^Could not reach the upstream provider \(ECONNREFUSED\)\./);
    } finally {
      await reelay.close();
      await broken.close();
      await good.close();
    }
  });

  it('gives the client a 502 when the only target fails with 5xx', async () => {
    const env = await start();
    try {
      env.fake.failNext('create', { status: 500, body: fixtureBody('openai', 'error-server') });
      const err = await caught(env.client.videos.create({ prompt: 'server error' }));
      expect(err).toBeInstanceOf(InternalServerError);
      expect(err).toMatchObject({ status: 502, code: 'upstream_error' });
      expect(err.message).toContain('The server had an error while processing your request');
      expect(env.fake.requests.filter((r) => r.verb === 'create')).toHaveLength(1);
    } finally {
      await stopE2E(env);
    }
  });
});

describe('openai adapter: transport failures', () => {
  it('maps a reset connection on create to 502 and a hung create to 504 with x-should-retry: false', async () => {
    const fake = await startFakeOpenAI({ keys: [...KEYS] });
    const reelay = await startReelay({ yaml: yaml(openaiProvider(UP, fake.url, KEYS, 300)) });
    try {
      const client = reelay.client();
      fake.failNext('create', { status: 0, reset: true });
      const reset = await caught(client.videos.create({ prompt: 'reset' }));
      expect(reset).toBeInstanceOf(InternalServerError);
      expect(reset).toMatchObject({ status: 502, code: 'upstream_unreachable' });

      fake.failNext('create', { status: 0, hang: true });
      const hung = await caught(client.videos.create({ prompt: 'hang' }));
      expect(hung).toMatchObject({ status: 504, code: 'upstream_timeout' });
      expect(hung.headers?.get('x-should-retry')).toBe('false');
      expect(fake.requests.filter((r) => r.verb === 'create')).toHaveLength(2);
    } finally {
      await reelay.close();
      await fake.close();
    }
  });

  it('keeps serving the last state when a poll fails, then recovers', async () => {
    const env = await start();
    try {
      const created = await env.client.videos.create({ prompt: 'flaky polls' });
      env.fake.failNext('status', { status: 0, reset: true }, 5);
      expect(await env.client.videos.retrieve(created.id)).toMatchObject({ id: created.id, status: 'queued' });
      const { video } = await untilTerminal(env.client, created.id);
      expect(video.status).toBe('completed');
    } finally {
      await stopE2E(env);
    }
  });
});

// Runs last: it reads what every test above was told.
describe('openai adapter: what clients are told', () => {
  it('never names a provider in any error message, envelope or header (5xx, 401, 429, 416, reset, timeout, refused connection, bad content URL…)', () => {
    expect(toldClients().length).toBeGreaterThan(10);
    expectNoProviderIds(IDS, ...toldClients());
  });
});
