import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, NotFoundError, RateLimitError, UpstreamError } from '../../src/errors.js';
import { CredentialPool } from '../../src/providers/http/credential-pool.js';
import { buildCreateForm } from '../../src/providers/http/openai-compatible/form.js';
import { translateUpstreamError, type UpstreamVerb } from '../../src/providers/http/upstream-errors.js';
import { MINTLIFY_CAPABILITIES } from '../../src/providers/mintlify/index.js';
import { MINTLIFY_STATUS, mintlifyVideoToState } from '../../src/providers/mintlify/transform.js';
import { MintlifyVideoSchema } from '../../src/providers/mintlify/wire.js';
import type { UpstreamState } from '../../src/providers/types.js';
import { captureLogger, manualClock } from './http/log-capture.js';

interface Fixture {
  source: string;
  status: number;
  body: unknown;
}
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../fixtures/providers/mintlify/${name}.json`, import.meta.url), 'utf8')) as Fixture;

const STATES: Array<[string, Partial<UpstreamState>]> = [
  // The seed's example carries a placeholder error object on a pending job: it must not leak.
  ['create-seed-example', { status: 'queued', rawStatus: 'pending', progress: 50, error: null }],
  ['create-pending', { status: 'queued', rawStatus: 'pending', progress: 0, error: null }],
  ['status-minimal', { status: 'queued', rawStatus: 'pending', progress: undefined, error: null, completedAt: undefined }],
  ['status-in-progress', { status: 'in_progress', rawStatus: 'in_progress', progress: 42, error: null }],
  ['status-completed', { status: 'completed', rawStatus: 'completed', progress: 100, error: null, completedAt: 1741570383, expiresAt: 1741656683 }],
  [
    'status-failed',
    {
      status: 'failed',
      rawStatus: 'failed',
      progress: 0,
      error: { code: 'content_policy_violation', message: 'Prompt was rejected by the safety system.' },
    },
  ],
  ['status-unknown-word', { status: undefined, rawStatus: 'processing', progress: 60, error: undefined }],
];

describe('apigo (mintlify) video → UpstreamState', () => {
  it.each(STATES)('%s', (name, want) => {
    const video = MintlifyVideoSchema.parse(fixture(name).body);
    expect(mintlifyVideoToState(video)).toMatchObject(want);
    for (const [k, v] of Object.entries(want)) expect(mintlifyVideoToState(video)[k as keyof UpstreamState]).toEqual(v);
  });

  it('has its own frozen table mapping pending → queued', () => {
    expect(Object.isFrozen(MINTLIFY_STATUS)).toBe(true);
    expect(MINTLIFY_STATUS.pending).toBe('queued');
    expect(MINTLIFY_STATUS.processing).toBeUndefined();
  });

  it('declares 720p sizes, 4/8/12 seconds, no remix, no delete, video only', () => {
    expect(MINTLIFY_CAPABILITIES).toEqual({ remix: false, delete: false, variants: ['video'], seconds: ['4', '8', '12'], sizes: ['720x1280', '1280x720'] });
  });
});

describe('apigo error fixtures → gateway errors', () => {
  const ERRORS: Array<[string, UpstreamVerb, new (...a: never[]) => Error, number, string]> = [
    ['error-invalid-size', 'create', InvalidRequestError, 400, 'invalid_size'],
    ['error-missing-model', 'create', InvalidRequestError, 400, 'missing_required_parameter'],
    ['error-invalid-seconds', 'create', InvalidRequestError, 400, 'invalid_seconds'],
    ['error-enveloped', 'create', InvalidRequestError, 400, 'invalid_prompt'],
    ['error-unauthorized', 'create', UpstreamError, 502, 'upstream_auth_failed'],
    ['error-rate-limit', 'create', RateLimitError, 429, 'rate_limit_exceeded'],
    ['error-not-ready', 'content', NotFoundError, 404, 'not_found'],
  ];
  it.each(ERRORS)('%s', (name, verb, cls, status, code) => {
    const f = fixture(name);
    const log = captureLogger().logger;
    const pool = new CredentialPool('apigo', ['upstream-key-1'], { clock: manualClock(), logger: log });
    const err = translateUpstreamError({ status: f.status, headers: {}, text: JSON.stringify(f.body) }, { pool, providerId: 'apigo', log, verb });
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ status, code });
    const body = f.body as { message?: string; error?: { message: string } };
    if (status === 400) expect(err.message).toBe(body.message ?? body.error!.message);
  });
});

describe('apigo create form', () => {
  const job = { prompt: '一只可爱的小猫在花园里玩耍', model: 'sora-2', seconds: '4', size: '720x1280' };
  const opts = { providerId: 'apigo', imageUrl: false, fileId: false };

  it('turns a data URL into a file part', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const raw = buildCreateForm({ ...job, inputReference: { kind: 'url', url: `data:image/png;base64,${png.toString('base64')}` } }, opts);
    const form = await new Response(raw.body, { headers: { 'content-type': raw.contentType } }).formData();
    const part = form.get('input_reference') as File;
    expect(part.type).toBe('image/png');
    expect(Buffer.from(await part.arrayBuffer()).equals(png)).toBe(true);
    expect(form.get('input_reference[image_url]')).toBeNull();
  });

  it('refuses an http(s) URL or a file id with a 400 on input_reference that may fail over', () => {
    for (const ref of [{ kind: 'url' as const, url: 'https://img.example/a.png' }, { kind: 'file_id' as const, fileId: 'file-1' }]) {
      let err: unknown;
      try {
        buildCreateForm({ ...job, inputReference: ref }, opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect(err).toMatchObject({ param: 'input_reference', failover: true });
    }
  });
});
