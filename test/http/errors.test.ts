import { type APIError } from 'openai/error';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

const LIMITED_KEY = 'sk-test-limited-000000';
const RATE_KEY = 'sk-test-rate-limited-11';
let reelay: RunningReelay;

beforeAll(async () => {
  reelay = await startReelay({
    yaml: `
limits:
  upload_bytes: 4096
keys:
  - name: alice
    key: ${TEST_KEY}
  - name: ci-bot
    sha256: \${CI_BOT_SHA}
    models: [sandbox-video]
  - name: rate-bot
    key: ${RATE_KEY}
    rpm: 2
providers:
  - id: sandbox
    type: sandbox
models:
  sora-2:
    - provider: sandbox
  sandbox-video:
    - provider: sandbox
`,
    env: { CI_BOT_SHA: (await import('node:crypto')).createHash('sha256').update(LIMITED_KEY).digest('hex') },
  });
});
afterAll(() => reelay.close());

describe('authentication and permissions', () => {
  it('answers AuthenticationError without a key and with a wrong one', async () => {
    const none = reelay.client(TEST_KEY, { defaultHeaders: { Authorization: null } });
    await expect(none.videos.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const wrong = reelay.client('sk-not-a-real-key');
    const err = (await wrong.videos.create({ prompt: 'p' }).catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.type).toBe('authentication_error');
  });

  it('authenticates a key configured only by its SHA-256 digest', async () => {
    const bot = reelay.client(LIMITED_KEY);
    expect((await bot.videos.list()).data).toEqual([]);
  });

  it('answers PermissionDeniedError when the key may not use the model', async () => {
    const bot = reelay.client(LIMITED_KEY);
    const err = await bot.videos.create({ prompt: 'p', model: 'sora-2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as APIError).param).toBe('model');
  });

  it('answers RateLimitError with retry-after and x-ratelimit-* once rpm is spent', async () => {
    const bot = reelay.client(RATE_KEY);
    await bot.videos.create({ prompt: 'p', model: 'sandbox-video' });
    await bot.videos.create({ prompt: 'p', model: 'sandbox-video' });
    const err = (await bot.videos.create({ prompt: 'p', model: 'sandbox-video' }).catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(err.headers?.get('x-ratelimit-limit')).toBe('2');
    expect(err.headers?.get('x-ratelimit-remaining')).toBe('0');
    // Reads are not counted against the create budget.
    expect((await bot.videos.list()).data.length).toBe(2);
  });
});

describe('request limits and unknown routes', () => {
  it('answers 413 in the envelope for an upload over limits.upload_bytes', async () => {
    const big = Buffer.alloc(8192, 1);
    big.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const client = reelay.client();
    const err = (await client.videos.create({ prompt: 'p', input_reference: await toFile(big, 'big.png', { type: 'image/png' }) }).catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(413);
    expect(err.type).toBe('invalid_request_error');

    const json = await fetch(`${reelay.baseURL}/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x'.repeat(200_000) }),
    });
    expect(json.status).toBe(413);
  });

  it('answers edits, extensions and characters with a clear envelope error, never a bare 404', async () => {
    const client = reelay.client();
    for (const call of [
      () => client.videos.edit({ prompt: 'p', video: { id: 'video_x' } }),
      () => client.videos.extend({ prompt: 'p', seconds: '4', video: { id: 'video_x' } }),
      async () => client.videos.createCharacter({ name: 'n', video: await toFile(Buffer.from('x'), 'v.mp4') }),
      () => client.videos.getCharacter('char_123'),
    ]) {
      const err = (await call().catch((e: unknown) => e)) as APIError;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.code).toBe('unsupported_operation');
      expect(err.message).toContain('not supported by the providers configured');
    }
  });

  it('answers unknown URLs with a 404 envelope', async () => {
    const res = await fetch(`${reelay.origin}/v1/nope`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('answers /healthz and /readyz without a key, and /metrics (no admin key configured) with a 401 envelope', async () => {
    expect((await fetch(`${reelay.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${reelay.origin}/readyz`);
    expect(ready.status).toBe(200);
    // Unauthenticated: status only, no provider ids or credential fingerprints (readyz.details is off).
    expect(await ready.json()).toEqual({ status: 'ready' });
    // /metrics is the admin key's (test/http/metrics.test.ts); with none configured it says how to open it.
    const metrics = await fetch(`${reelay.origin}/metrics`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    expect(metrics.status).toBe(401);
    expect(await metrics.json()).toMatchObject({ error: { type: 'authentication_error', code: 'admin_key_not_configured' } });
  });
});
