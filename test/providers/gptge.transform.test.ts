import pino from 'pino';
import { encodeMultipart } from '../../src/providers/http/openai-compatible/form.js';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, NotFoundError, RateLimitError, UpstreamError } from '../../src/errors.js';
import type { GatewayError } from '../../src/errors.js';
import { translateUpstreamError } from '../../src/providers/http/upstream-errors.js';
import {
  GPTGE_STATUS,
  buildCreateBody,
  contentJsonUrl,
  isContentNotReady,
  normaliseStatus,
  toUpstreamState,
  upstreamIdOf,
} from '../../src/providers/gptge/transform.js';
import { GptgeVideoSchema } from '../../src/providers/gptge/wire.js';
import type { CreateJob, UpstreamState } from '../../src/providers/types.js';
import { gptgeFixture, parseMultipart } from '../fakes/gptge-upstream.js';

const silent = pino({ level: 'silent' });
const video = (name: string) => GptgeVideoSchema.parse(gptgeFixture(name).body);

describe('gptge status table', () => {
  it.each([
    ['queued', 'queued'],
    ['pending', 'queued'],
    ['submitted', 'queued'],
    ['NOT_START', 'queued'],
    ['in_progress', 'in_progress'],
    ['processing', 'in_progress'],
    ['Processing', 'in_progress'],
    ['generating', 'in_progress'],
    ['running', 'in_progress'],
    ['completed', 'completed'],
    ['succeeded', 'completed'],
    ['SUCCESS', 'completed'],
    ['failed', 'failed'],
    ['cancelled', 'failed'],
    ['canceled', 'failed'],
    [' failure ', 'failed'],
  ] as const)('%j → %s', (word, expected) => {
    expect(normaliseStatus(word)).toBe(expected);
  });

  it.each(['rendering', 'expired', 'unknown', '', 'toString', '__proto__', 'constructor'])('unknown word %j → undefined', (word) => {
    expect(normaliseStatus(word)).toBeUndefined();
  });

  it('is frozen', () => {
    expect(Object.isFrozen(GPTGE_STATUS)).toBe(true);
  });
});

describe('gptge create answers', () => {
  it.each([
    ['create-v1', 'video_68f082321ed08193a4eaf01376fa10bc0284bd663de64dc5', 'queued'],
    ['create-v2', 'task_7fKq2LmZ0pXr9TnB4sWd1YhC6vJe8GaQ', 'queued'],
    ['create-task-id-only', 'task_Q2w9ZkR4mN8pL1sT6vX3yB7cD0fG5hJa', 'queued'],
    ['create-veo-gemini', 'task_Vx1Lq8Zr3Tn6Bp0Wk5Jd2Hs9Gf4Mc7Ya', 'queued'],
    ['create-storyboard', 'sora-2:task_01k7yhn8vae4ev52cnyxw3gn68', 'queued'],
    ['create-storyboard-uuid', 'video_2c1e8a3f-5b7d-4e0a-9c6f-1d2b3a4c5e6f', 'queued'],
  ] as const)('%s → id %s, %s', (name, id, status) => {
    const body = video(name);
    expect(upstreamIdOf(body)).toBe(id);
    expect(toUpstreamState(body).status).toBe(status);
  });

  it('has no id when the body names none', () => {
    expect(upstreamIdOf(GptgeVideoSchema.parse({ status: 'queued', id: '' }))).toBeUndefined();
  });
});

describe('gptge polled states', () => {
  it.each<[string, UpstreamState]>([
    ['status-in-progress-v2', { status: 'in_progress', rawStatus: 'in_progress', progress: 35 }],
    ['status-completed-v2', { status: 'completed', rawStatus: 'completed', progress: 100, completedAt: 1760592506, expiresAt: 1760596106 }],
    [
      'status-failed-moderation-v2',
      { status: 'failed', rawStatus: 'failed', progress: 0, error: { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' } },
    ],
    ['status-pending-v1', { status: 'queued', rawStatus: 'pending', progress: 0 }],
    [
      'status-succeeded-docs',
      { status: 'completed', rawStatus: 'succeeded', progress: 100, completedAt: 1760592506, contentUrl: 'https://files.example-newapi.com/v/7fKq2LmZ.mp4' },
    ],
    [
      'status-completed-metadata-url',
      { status: 'completed', rawStatus: 'completed', progress: 100, completedAt: 1762600300, contentUrl: 'https://cdn.example-kling.com/out/Kl3Vd8Rz.mp4' },
    ],
    ['status-veo-in-progress', { status: 'in_progress', rawStatus: 'in_progress', progress: 50 }],
    ['status-storyboard-processing', { status: 'in_progress', rawStatus: 'processing', progress: 42 }],
    [
      'status-storyboard-completed',
      {
        status: 'completed',
        rawStatus: 'completed',
        progress: 100,
        completedAt: 1762600420,
        expiresAt: 1762686820,
        contentUrl: 'https://cdn.example-reseller.com/v/2c1e8a3f.mp4',
      },
    ],
    [
      'status-storyboard-failed-late',
      { status: 'failed', rawStatus: 'failed', progress: 90, error: { code: 'generation_failed', message: '视频内容审核未通过，请修改提示词后重试' } },
    ],
    [
      'status-cancelled',
      { status: 'failed', rawStatus: 'cancelled', progress: 12, error: { code: 'generation_failed', message: expect.any(String) as string } },
    ],
    ['status-unknown-word', { status: undefined, rawStatus: 'rendering', progress: 60 }],
  ])('%s', (name, expected) => {
    expect(toUpstreamState(video(name))).toEqual(expected);
  });

  it('ignores a non-http URL field and tolerates odd types', () => {
    const body = GptgeVideoSchema.parse({ id: 'x', status: 'completed', progress: '100', video_url: 'javascript:alert(1)', metadata: '{"url":"https://a.example/v.mp4"}', seconds: 8 });
    expect(toUpstreamState(body)).toMatchObject({ status: 'completed', progress: 100, contentUrl: 'https://a.example/v.mp4' });
  });

  it('reads a failed job whose error is a bare string', () => {
    const body = GptgeVideoSchema.parse({ id: 'x', status: 'failed', error: 'upstream exploded' });
    expect(toUpstreamState(body).error).toEqual({ code: 'generation_failed', message: 'upstream exploded' });
  });
});

describe('gptge /content answered with JSON', () => {
  it.each([
    ['content-json-gptge', 'https://cdn.gpt.ge/videos/68f08232.mp4'],
    ['content-json-anyfast', 'https://cdn.example-anyfast.com/v/01k7yhn8.mp4'],
  ])('%s → %s', (name, url) => {
    expect(contentJsonUrl(gptgeFixture(name).body)).toBe(url);
  });

  it('finds no URL in a body without one', () => {
    expect(contentJsonUrl({ id: 'x', status: 'ready' })).toBeUndefined();
    expect(contentJsonUrl('nope')).toBeUndefined();
  });
});

describe('gptge error answers → gateway errors', () => {
  const translate = (name: string, verb: 'create' | 'status' | 'content' = 'create'): GatewayError => {
    const f = gptgeFixture(name);
    return translateUpstreamError({ status: f.status, headers: f.headers ?? {}, text: JSON.stringify(f.body) }, { providerId: 'up', log: silent, verb });
  };

  it.each<[string, 'create' | 'status' | 'content', new (...a: never[]) => GatewayError, Partial<GatewayError>]>([
    ['error-blank-prompt', 'create', InvalidRequestError, { status: 400, message: 'prompt is required', code: 'invalid_request' }],
    ['error-invalid-size', 'create', InvalidRequestError, { status: 400, message: 'sora-2 size is invalid', code: 'invalid_size' }],
    ['error-inpaint-mismatch', 'create', InvalidRequestError, { status: 400, message: 'Inpaint image must match the requested width and height', param: null }],
    ['error-bad-seconds', 'create', InvalidRequestError, { status: 400, param: 'seconds', code: 'invalid_value', message: "Invalid value: '5'. Supported values are: '4', '8', and '12'." }],
    ['error-storyboard-envelope', 'create', InvalidRequestError, { status: 400, message: 'Invalid request parameters', code: 'invalid_parameter' }],
    ['error-model-not-found', 'create', InvalidRequestError, { status: 400, param: 'model', code: 'model_not_found', failover: true }],
    ['error-invalid-token', 'create', UpstreamError, { status: 502, code: 'upstream_auth_failed', failover: true }],
    ['error-storyboard-auth', 'status', UpstreamError, { status: 502, code: 'upstream_auth_failed' }],
    ['error-token-model-denied', 'create', UpstreamError, { status: 502, code: 'upstream_auth_failed' }],
    ['error-insufficient-quota', 'create', UpstreamError, { status: 502, code: 'upstream_quota_exhausted', failover: true }],
    ['error-upstream-429', 'create', RateLimitError, { status: 429, message: '当前分组上游负载已饱和，请稍后再试', failover: true }],
    ['error-task-not-exist', 'status', NotFoundError, { status: 404 }],
    ['error-content-task-not-found', 'content', NotFoundError, { status: 404, message: 'Task not found' }],
    ['error-content-upstream-502', 'content', UpstreamError, { status: 502 }],
  ])('%s (%s)', (name, verb, cls, expected) => {
    const err = translate(name, verb);
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject(expected);
  });

  it('gives new-api 429s (no Retry-After) the default 30 s', () => {
    expect(translate('error-upstream-429').headers['retry-after']).toBe('30');
  });

  it.each([
    ['error-content-not-ready', true],
    ['error-content-task-not-found', false],
    ['error-blank-prompt', false],
  ])('%s is "content not ready": %s', (name, expected) => {
    const err = translate(name, 'content');
    expect(isContentNotReady(err.status, err.message)).toBe(expected);
  });
});

describe('gptge create bodies', () => {
  const storyboard = 'Shot 1:\nduration: 7.5sec\nScene: plane takes off\n\nShot 2:\nduration: 7.5sec\nScene: plane lands';
  const job = (over: Partial<CreateJob> = {}): CreateJob => ({ prompt: storyboard, model: 'sora-2', seconds: '15', size: '720x1280', ...over });

  it('multipart carries model first and the prompt byte for byte (bare LFs stay LFs)', () => {
    const { contentType, body } = buildCreateBody(job(), 'multipart');
    const parts = parseMultipart(body, contentType);
    expect(parts.map((p) => p.name)).toEqual(['model', 'prompt', 'seconds', 'size']);
    const prompt = parts.find((p) => p.name === 'prompt')!;
    expect(prompt.data.equals(Buffer.from(storyboard, 'utf8'))).toBe(true);
    expect(prompt.value).not.toContain('\r');
  });

  it('keeps CRLFs and non-ASCII as received', () => {
    const text = 'Shot 1:\r\nduration: 5sec\r\nScene: 飞机起飞 ✈\n';
    const { contentType, body } = buildCreateBody(job({ prompt: text }), 'multipart');
    expect(parseMultipart(body, contentType).find((p) => p.name === 'prompt')!.value).toBe(text);
  });

  it('uploads a file reference as the input_reference file part', () => {
    const data = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const { contentType, body } = buildCreateBody(job({ inputReference: { kind: 'file', data, mimeType: 'image/png', filename: 'ref "1".png' } }), 'json');
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const file = parseMultipart(body, contentType).find((p) => p.name === 'input_reference')!;
    expect(file).toMatchObject({ filename: 'ref %221%22.png', contentType: 'image/png' });
    expect(file.data.equals(data)).toBe(true);
  });

  it('sends a URL reference as input_reference[image_url] in multipart, as the SDK does', () => {
    const { contentType, body } = buildCreateBody(job({ inputReference: { kind: 'url', url: 'https://img.example/a.png' } }), 'multipart');
    expect(parseMultipart(body, contentType).find((p) => p.name === 'input_reference[image_url]')?.value).toBe('https://img.example/a.png');
  });

  it('encoding json: a JSON body with string seconds and a string input_reference', () => {
    const { contentType, body } = buildCreateBody(job({ inputReference: { kind: 'url', url: 'https://img.example/a.png' } }), 'json');
    expect(contentType).toBe('application/json');
    expect(JSON.parse(body.toString('utf8'))).toEqual({
      model: 'sora-2',
      prompt: storyboard,
      seconds: '15',
      size: '720x1280',
      input_reference: 'https://img.example/a.png',
    });
  });

  it('refuses a file_id reference with a 400 on input_reference', () => {
    expect(() => buildCreateBody(job({ inputReference: { kind: 'file_id', fileId: 'file-abc' } }), 'multipart')).toThrow(
      expect.objectContaining({ status: 400, param: 'input_reference' }) as Error,
    );
  });

  it('picks another boundary when the content contains the proposed one', () => {
    const boundary = 'collide';
    const { contentType, body } = buildCreateBody(job({ prompt: 'a --collide b' }), 'multipart', boundary);
    expect(contentType).not.toContain('boundary=collide');
    expect(parseMultipart(body, contentType).find((p) => p.name === 'prompt')!.value).toBe('a --collide b');
  });

  it('encodeMultipart writes RFC 7578 framing', () => {
    expect(encodeMultipart([{ name: 'a', value: 'x\ny' }], 'B').body.toString()).toBe('--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\ny\r\n--B--\r\n');
  });
});
