import { BadRequestError, InternalServerError, NotFoundError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialFingerprint } from '../../src/providers/http/credential-pool.js';
import { startFakeCdn } from '../fakes/fake-cdn.js';
import { startFakeMintlify, type MintlifyFakeOptions } from '../fakes/mintlify-upstream.js';
import { fixtureBody, type OpenAIShapedFake } from '../fakes/openai-upstream.js';
import { caught, envelopeMessage, expectNoKeys, expectNoProviderIds, jobByPrompt, png720x1280, providerYaml, reelayYaml, sha, startE2E, stopE2E, toldClients, untilTerminal, type E2EEnv } from './support/e2e-env.js';

/**
 * The `mintlify` (apigo-style, seed 003) adapter end to end: the official SDK →
 * Reelay → a fake apigo upstream over real HTTP.
 */

const KEYS = ['sk-apigo-upstream-key-aaaa1111', 'sk-apigo-upstream-key-bbbb2222'] as const;
const OPENAI_STATUSES = new Set(['queued', 'in_progress', 'completed', 'failed']);

/** A provider id no client message could contain by chance; clients must never read it. */
const APIGO = 'apigo-q7';

const yaml = (url: string) => reelayYaml(providerYaml('mintlify', APIGO, url, KEYS), `  sora-2:\n    - provider: ${APIGO}`);

type Env = E2EEnv<OpenAIShapedFake>;

async function start(options: MintlifyFakeOptions = {}): Promise<Env> {
  const fake = await startFakeMintlify({ keys: [...KEYS], ...options });
  return startE2E(fake, yaml(fake.url));
}

const creates = (fake: OpenAIShapedFake) => fake.requests.filter((r) => r.verb === 'create');

describe('mintlify adapter', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => stopE2E(env));

  it('creates from text as multipart with model, seconds and size always sent', async () => {
    const video = await env.client.videos.create({ prompt: '一只可爱的小猫在花园里玩耍' });
    expect(video).toMatchObject({ status: 'queued', progress: 0, model: 'sora-2', seconds: '4', size: '720x1280' });
    const create = creates(env.fake).at(-1)!;
    expect(create.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(create.parts!.map((p) => [p.name, p.value])).toEqual([
      ['model', 'sora-2'],
      ['prompt', '一只可爱的小猫在花园里玩耍'],
      ['seconds', '4'],
      ['size', '720x1280'],
    ]);
  });

  it('polls to completed showing only OpenAI statuses, then serves identical bytes', async () => {
    const created = await env.client.videos.create({ prompt: 'a kitten chases a butterfly', seconds: '8', size: '1280x720' });
    const job = jobByPrompt(env.fake, 'a kitten chases a butterfly');
    const { video, seen } = await untilTerminal(env.client, created.id);
    expect(seen.every((s) => OPENAI_STATUSES.has(s))).toBe(true);
    expect(seen).toEqual(['in_progress', 'completed']);
    expect(video).toMatchObject({ status: 'completed', progress: 100, seconds: '8', size: '1280x720', completed_at: job.createdAt + 100, expires_at: job.createdAt + 100 + 86300 });
    const res = await env.client.videos.downloadContent(created.id);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(env.fake.bytes(job.id)));
  });

  it('reports pending as queued on retrieve', async () => {
    const env = await start({ steps: () => [{ status: 'queued' }, { status: 'queued' }, { status: 'completed' }] });
    try {
      const created = await env.client.videos.create({ prompt: 'slow start' });
      expect((await env.client.videos.retrieve(created.id)).status).toBe('queued');
      expect(env.fake.requests.filter((r) => r.verb === 'status')).toHaveLength(1);
    } finally {
      await stopE2E(env);
    }
  });

  it('sends an uploaded reference image as a file part, and a data URL as one too', async () => {
    const png = await png720x1280();
    await env.client.videos.create({ prompt: 'from a file', input_reference: await toFile(png, 'first-frame.png', { type: 'image/png' }) });
    expect(jobByPrompt(env.fake, 'from a file').inputReference).toMatchObject({ filename: 'first-frame.png', type: 'image/png' });
    expect(sha(jobByPrompt(env.fake, 'from a file').inputReference!.data!)).toBe(sha(png));

    await env.client.videos.create({ prompt: 'from a data url', input_reference: { image_url: `data:image/png;base64,${png.toString('base64')}` } });
    const ref = jobByPrompt(env.fake, 'from a data url').inputReference!;
    expect(ref.type).toBe('image/png');
    expect(sha(ref.data!)).toBe(sha(png));
  });

  it('refuses an http(s) reference URL with a 400 on input_reference, sending nothing upstream', async () => {
    const before = creates(env.fake).length;
    const err = await caught(env.client.videos.create({ prompt: 'from a url', input_reference: { image_url: 'https://images.example/cat.png' } }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ param: 'input_reference', code: 'unsupported_value' });
    expect(envelopeMessage(err)).toBe('The upstream provider does not accept an image URL for input_reference; upload the image as a file instead.');
    expect(creates(env.fake)).toHaveLength(before);
  });

  it('ends a failed job failed with the provider’s code and message', async () => {
    const created = await env.client.videos.create({ prompt: 'a #fail prompt' });
    const { video } = await untilTerminal(env.client, created.id);
    expect(video.status).toBe('failed');
    expect(video.error).toEqual({ code: 'content_policy_violation', message: 'Prompt was rejected by the safety system.' });
    expect(await caught(env.client.videos.downloadContent(created.id))).toBeInstanceOf(NotFoundError);
  });

  it('refuses sizes and seconds it does not offer before calling upstream, naming what it supports', async () => {
    const before = creates(env.fake).length;
    const size = await caught(env.client.videos.create({ prompt: 'too big', size: '1792x1024' }));
    expect(size).toBeInstanceOf(BadRequestError);
    expect(size).toMatchObject({ param: 'size' });
    expect(size.message).toContain("'720x1280', '1280x720'");
    const seconds = await caught(env.client.videos.create({ prompt: 'odd', seconds: '5' as '4' }));
    expect(seconds).toMatchObject({ status: 400, param: 'seconds' });
    expect(seconds.message).toContain("'4', '8', '12'");
    expect(creates(env.fake)).toHaveLength(before);
  });

  it.each(['error-invalid-size', 'error-invalid-seconds', 'error-enveloped'])('relays the %s body {code,message,type} as BadRequestError', async (name) => {
    const body = fixtureBody<{ code?: string; message?: string; error?: { code: string; message: string } }>('mintlify', name);
    env.fake.failNext('create', { status: 400, body });
    const err = await caught(env.client.videos.create({ prompt: `upstream says no (${name})` }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toBe(`400 ${body.message ?? body.error!.message}`);
    expect(err.code).toBe(body.code ?? body.error!.code);
  });

  it('declares no thumbnail, remix or upstream delete: one clear 400 from Reelay, nothing upstream', async () => {
    const created = await env.client.videos.create({ prompt: 'capabilities' });
    await untilTerminal(env.client, created.id);
    const job = jobByPrompt(env.fake, 'capabilities');
    const thumb = await caught(env.client.videos.downloadContent(created.id, { variant: 'thumbnail' }));
    expect(thumb).toBeInstanceOf(BadRequestError);
    expect(thumb).toMatchObject({ param: 'variant', code: 'unsupported_variant' });
    const remix = await caught(env.client.videos.remix(created.id, { prompt: 'again' }));
    expect(remix).toBeInstanceOf(BadRequestError);
    expect(remix).toMatchObject({ code: 'unsupported_operation' });
    expect(await env.client.videos.delete(created.id)).toEqual({ id: created.id, object: 'video.deleted', deleted: true });
    expect(env.fake.requestsFor(job.id).map((r) => r.verb)).toEqual(['status', 'status']);
    expect(env.reelay.logs.some((l) => l.includes('removed from Reelay only'))).toBe(true);
  });

  it('pins polls and downloads to the creating key, and leaks no key anywhere', async () => {
    const prompts = ['pin a', 'pin b', 'pin c'];
    const ids = [];
    for (const p of prompts) ids.push((await env.client.videos.create({ prompt: p })).id);
    for (const id of ids) {
      await untilTerminal(env.client, id);
      await (await env.client.videos.downloadContent(id)).arrayBuffer();
    }
    const used = new Set<string>();
    for (const p of prompts) {
      const job = jobByPrompt(env.fake, p);
      used.add(job.key);
      for (const c of env.fake.requestsFor(job.id)) expect(c.headers.authorization).toBe(`Bearer ${job.key}`);
    }
    expect(used).toEqual(new Set(KEYS));
    const texts = [...env.reelay.logs, JSON.stringify(await env.client.videos.list({ limit: 100 })), await (await fetch(`${env.reelay.origin}/readyz`)).text()];
    expectNoKeys(KEYS, ...texts);
  });
});

describe('mintlify adapter: credentials, ids and foreign content', () => {
  it('disables a key refused with the provider’s 401 and keeps serving with the other', async () => {
    const env = await start();
    try {
      env.fake.rejectKey(KEYS[0]);
      await env.client.videos.create({ prompt: 'after 401' });
      expect(jobByPrompt(env.fake, 'after 401').key).toBe(KEYS[1]);
      const ready = (await (await fetch(`${env.reelay.origin}/readyz`)).json()) as { providers: Record<string, { credentials: Array<{ fingerprint: string; state: string }> }> };
      expect(ready.providers[APIGO]!.credentials).toEqual([
        { fingerprint: credentialFingerprint(APIGO, KEYS[0]), state: 'disabled', reason: expect.stringContaining('HTTP 401 invalid_api_key') },
        { fingerprint: credentialFingerprint(APIGO, KEYS[1]), state: 'active' },
      ]);
      env.fake.rejectKey(KEYS[1]);
      const err = await caught(env.client.videos.create({ prompt: 'nobody left' }));
      expect(err).toBeInstanceOf(InternalServerError);
      expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
      const none = await caught(env.client.videos.create({ prompt: 'no key left' }));
      expect(none).toMatchObject({ status: 502, code: 'no_upstream_credentials' });
      expect(envelopeMessage(none)).toMatch(/^Reelay has no usable API key left for the upstream provider/);
    } finally {
      await stopE2E(env);
    }
  });

  it('answers an upstream 5xx, and a 429 once every key is cooling down, naming no provider', async () => {
    const env = await start();
    try {
      env.fake.failNext('create', { status: 500, body: { code: 'internal_error', message: 'upstream exploded', type: 'server_error' } });
      const failed = await caught(env.client.videos.create({ prompt: 'boom' }));
      expect(failed).toMatchObject({ status: 502, code: 'upstream_error' });
      expect(envelopeMessage(failed)).toContain('The upstream provider failed (HTTP 500): upstream exploded');
      env.fake.failNext('create', { status: 429, body: { code: 'rate_limited', message: 'slow down', type: 'rate_limit_error' }, headers: { 'retry-after': '9' } }, 2);
      const limited = await caught(env.client.videos.create({ prompt: 'too fast' }));
      expect(limited).toMatchObject({ status: 429 });
      const cooling = await caught(env.client.videos.create({ prompt: 'still too fast' }));
      expect(cooling).toMatchObject({ status: 429, code: 'no_upstream_credentials' });
      expect(cooling.headers?.get('retry-after')).toBe('9');
    } finally {
      await stopE2E(env);
    }
  });

  it('relays the enveloped error shape too', async () => {
    const env = await start({ errorShape: 'enveloped' });
    try {
      env.fake.rejectKey(KEYS[0]);
      env.fake.rejectKey(KEYS[1]);
      const err = await caught(env.client.videos.create({ prompt: 'enveloped 401' }));
      expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    } finally {
      await stopE2E(env);
    }
  });

  it('percent-encodes ids containing `:` and fetches a foreign content URL without credentials', async () => {
    const cdn = await startFakeCdn();
    let n = 0;
    const env = await start({
      ids: () => `video_apigo:${++n}`,
      contentRedirect: (job) => cdn.put(`/v/${n}.mp4`, env.fake.bytes(job.id)),
    });
    try {
      const created = await env.client.videos.create({ prompt: 'colon and cdn' });
      await untilTerminal(env.client, created.id);
      const job = jobByPrompt(env.fake, 'colon and cdn');
      expect(job.id).toBe('video_apigo:1');
      const res = await env.client.videos.downloadContent(created.id);
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(env.fake.bytes(job.id)));
      for (const c of env.fake.requestsFor(job.id)) expect(c.rawUrl.startsWith('/v1/videos/video_apigo%3A1')).toBe(true);
      expect(cdn.requests).toHaveLength(1);
      expect(cdn.requests[0]!.headers.authorization).toBeUndefined();

      const tooFar = await caught(env.client.videos.downloadContent(created.id, {}, { headers: { Range: 'bytes=99999999-' } }));
      expect(tooFar).toMatchObject({ status: 416, code: 'range_not_satisfiable' });
      expect(tooFar.headers?.get('content-range')).toBe(`bytes */${env.fake.bytes(job.id).length}`);
    } finally {
      await stopE2E(env);
      await cdn.close();
    }
  });
});

// Runs last: it reads what every test above was told.
describe('mintlify adapter: what clients are told', () => {
  it('never names the provider in any error message, envelope or header (400, 401, 429, 5xx, 416…)', () => {
    expect(toldClients().length).toBeGreaterThan(10);
    expectNoProviderIds([APIGO], ...toldClients());
  });
});
