import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, NotFoundError, RateLimitError, UpstreamError } from '../../src/errors.js';
import { CredentialPool } from '../../src/providers/http/credential-pool.js';
import { buildCreateForm, buildCreateParts } from '../../src/providers/http/openai-compatible/form.js';
import { translateUpstreamError, type UpstreamVerb } from '../../src/providers/http/upstream-errors.js';
import { OPENAI_STATUS, openAIVideoToState } from '../../src/providers/openai/transform.js';
import { OpenAIVideoSchema } from '../../src/providers/openai/wire.js';
import type { UpstreamState } from '../../src/providers/types.js';
import { captureLogger, manualClock } from './http/log-capture.js';

interface Fixture {
  source: string;
  status: number;
  body: unknown;
}
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../fixtures/providers/openai/${name}.json`, import.meta.url), 'utf8')) as Fixture;

const STATES: Array<[string, UpstreamState]> = [
  ['create-queued', { status: 'queued', rawStatus: 'queued', progress: 0, error: null, completedAt: null, expiresAt: null }],
  ['create-spec-example', { status: 'queued', rawStatus: 'queued', progress: 0, error: null, completedAt: undefined, expiresAt: undefined }],
  ['status-in-progress', { status: 'in_progress', rawStatus: 'in_progress', progress: 35, error: null, completedAt: null, expiresAt: null }],
  ['status-extra-fields', { status: 'in_progress', rawStatus: 'in_progress', progress: 80, error: null, completedAt: null, expiresAt: null }],
  ['status-completed', { status: 'completed', rawStatus: 'completed', progress: 100, error: null, completedAt: 1760592506, expiresAt: 1760596106, seconds: 8 }],
  [
    'status-failed-moderation',
    {
      status: 'failed',
      rawStatus: 'failed',
      progress: 0,
      error: { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' },
      completedAt: 1760592470,
      expiresAt: null,
    },
  ],
  [
    'status-failed-no-error',
    {
      status: 'failed',
      rawStatus: 'failed',
      progress: 12,
      error: { code: 'generation_failed', message: 'The upstream provider reported the video as failed without details.' },
      completedAt: null,
      expiresAt: null,
    },
  ],
  ['status-expired-unknown', { status: undefined, rawStatus: 'expired', progress: 100, error: undefined, completedAt: 1760592506, expiresAt: 1760596106 }],
  ['remix-queued', { status: 'queued', rawStatus: 'queued', progress: 0, error: null, completedAt: null, expiresAt: null }],
];

describe('OpenAI video → UpstreamState', () => {
  it.each(STATES)('%s', (name, want) => {
    const video = OpenAIVideoSchema.parse(fixture(name).body);
    expect(openAIVideoToState(video)).toEqual(want);
  });

  it('the status table is frozen and holds exactly OpenAI’s four words', () => {
    expect(Object.isFrozen(OPENAI_STATUS)).toBe(true);
    expect(OPENAI_STATUS).toEqual({ queued: 'queued', in_progress: 'in_progress', completed: 'completed', failed: 'failed' });
  });

  it('does not treat prototype keys as status words', () => {
    const video = OpenAIVideoSchema.parse({ id: 'v', status: 'constructor' });
    expect(openAIVideoToState(video).status).toBeUndefined();
  });

  it('keeps progress monotonic against the last state while running', () => {
    const video = OpenAIVideoSchema.parse(fixture('status-in-progress').body);
    expect(openAIVideoToState(video, { status: 'in_progress', progress: 60 }).progress).toBe(60);
  });

  it('reads numeric strings and millisecond timestamps leniently', () => {
    const video = OpenAIVideoSchema.parse({ id: 'v', status: 'completed', progress: '100', completed_at: 1760592506000, expires_at: '1760596106' });
    expect(openAIVideoToState(video)).toMatchObject({ status: 'completed', progress: 100, completedAt: 1760592506, expiresAt: 1760596106 });
  });

  it('rejects a body without an id', () => {
    expect(OpenAIVideoSchema.safeParse({ object: 'video', status: 'queued' }).success).toBe(false);
  });
});

describe('OpenAI error fixtures → gateway errors', () => {
  const ERRORS: Array<[string, UpstreamVerb, new (...a: never[]) => Error, number, string | null, string | null]> = [
    ['error-invalid-key', 'create', UpstreamError, 502, 'upstream_auth_failed', null],
    ['error-rate-limit', 'create', RateLimitError, 429, 'rate_limit_exceeded', null],
    ['error-inpaint-mismatch', 'create', InvalidRequestError, 400, 'invalid_value', null],
    ['error-invalid-seconds', 'create', InvalidRequestError, 400, 'invalid_value', 'seconds'],
    ['error-input-reference-string', 'create', InvalidRequestError, 400, 'invalid_type', 'input_reference'],
    ['error-content-not-ready', 'content', NotFoundError, 404, 'not_found', null],
    ['error-not-found', 'status', NotFoundError, 404, 'not_found', null],
    ['error-server', 'status', UpstreamError, 502, 'upstream_error', null],
  ];
  it.each(ERRORS)('%s (%s)', (name, verb, cls, status, code, param) => {
    const f = fixture(name);
    const log = captureLogger().logger;
    const pool = new CredentialPool('openai', ['upstream-key-1'], { clock: manualClock(), logger: log });
    const err = translateUpstreamError({ status: f.status, headers: {}, text: JSON.stringify(f.body) }, { pool, providerId: 'openai', log, verb });
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ status, code, param });
    if (status === 400 || status === 404) expect(err.message).toBe((f.body as { error: { message: string } }).error.message);
  });
});

describe('create form (what the SDK sends)', () => {
  const job = { prompt: 'Shot 1:\nduration: 4sec\nScene: a cat\n\nShot 2:\nduration: 4sec\nScene: a dog', model: 'sora-2-pro', seconds: '8', size: '1280x720' };
  const opts = { providerId: 'openai', imageUrl: true, fileId: true };
  const decode = (raw: { contentType: string; body: Buffer | string }) => new Response(raw.body, { headers: { 'content-type': raw.contentType } }).formData();

  it('always sends model, prompt, seconds and size as text parts', async () => {
    const raw = buildCreateForm(job, opts);
    expect(raw.contentType).toMatch(/^multipart\/form-data; boundary=----reelay-[0-9a-f]{32}$/);
    expect([...(await decode(raw)).entries()]).toEqual([
      ['model', 'sora-2-pro'],
      ['prompt', job.prompt],
      ['seconds', '8'],
      ['size', '1280x720'],
    ]);
  });

  it('keeps the prompt byte for byte: bare LF newlines are not rewritten to CRLF', () => {
    const body = Buffer.from(buildCreateForm(job, opts).body);
    expect(body.includes(Buffer.from(job.prompt, 'utf8'))).toBe(true);
  });

  it('sends an uploaded file as the input_reference file part', async () => {
    const data = Buffer.from('89504e470d0a1a0a', 'hex');
    const form = await decode(buildCreateForm({ ...job, inputReference: { kind: 'file', data, mimeType: 'image/png', filename: 'ref "1".png' } }, opts));
    const part = form.get('input_reference') as File;
    expect(part.name).toBe('ref "1".png');
    expect(part.type).toBe('image/png');
    expect(Buffer.from(await part.arrayBuffer()).equals(data)).toBe(true);
  });

  it('sends URLs and file ids in bracket notation', () => {
    expect(buildCreateParts({ ...job, inputReference: { kind: 'url', url: 'https://img.example/a.png' } }, opts).at(-1)).toEqual({
      name: 'input_reference[image_url]',
      value: 'https://img.example/a.png',
    });
    expect(buildCreateParts({ ...job, inputReference: { kind: 'file_id', fileId: 'file-abc' } }, opts).at(-1)).toEqual({
      name: 'input_reference[file_id]',
      value: 'file-abc',
    });
  });
});
