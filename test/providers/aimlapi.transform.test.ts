import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, RateLimitError, UpstreamError } from '../../src/errors.js';
import type { GatewayError } from '../../src/errors.js';
import {
  AIML_SIZES,
  AIML_STATUS,
  buildCreateBody,
  estimateProgress,
  generationUrl,
  jobErrorOf,
  normaliseStatus,
  toUpstreamState,
} from '../../src/providers/aimlapi/transform.js';
import { AimlCreateSchema, AimlGenerationSchema } from '../../src/providers/aimlapi/wire.js';
import { translateUpstreamError } from '../../src/providers/http/upstream-errors.js';
import type { CreateJob, UpstreamState } from '../../src/providers/types.js';
import { aimlFixture } from '../fakes/aimlapi-upstream.js';

const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const ctx = (elapsedMs: number, lastProgress?: number) => ({ nowMs: T0 + elapsedMs, createdAt: T0, seconds: '4', size: '1792x1024', lastProgress });
const generation = (name: string) => AimlGenerationSchema.parse(aimlFixture(name).body);

describe('aimlapi status table', () => {
  it.each([
    ['queued', 'queued'],
    ['waiting', 'queued'],
    ['generating', 'in_progress'],
    ['active', 'in_progress'],
    ['processing', 'in_progress'],
    ['completed', 'completed'],
    ['error', 'failed'],
    ['Generating', 'in_progress'],
  ] as const)('%j → %s', (word, expected) => {
    expect(normaliseStatus(word)).toBe(expected);
  });

  it.each(['uploading', 'failed', 'in_progress', '', 'hasOwnProperty'])('unknown word %j → undefined', (word) => {
    expect(normaliseStatus(word)).toBeUndefined();
  });

  it('is frozen', () => {
    expect(Object.isFrozen(AIML_STATUS)).toBe(true);
    expect(Object.isFrozen(AIML_SIZES)).toBe(true);
  });
});

describe('aimlapi create answers', () => {
  it.each([
    ['create-t2v', 'video_68e56d5e6ca88191b0aa3d18416ebdd3088ac20c82665bd8:openai/sora-2-t2v', undefined],
    ['create-201-usage', 'video_68e576d4704c819088a4fb1315dc0667062ac79f6ced74ae:openai/sora-2-pro-t2v', { credits_used: 120000, usd_spent: 0.06 }],
    ['create-generation-id', '362347981228480:minimax/hailuo-02', undefined],
  ])('%s → %s', (name, id, usage) => {
    const body = AimlCreateSchema.parse(aimlFixture(name).body);
    expect(body.id ?? body.generation_id).toBe(id);
    expect(body.meta?.usage).toEqual(usage);
  });
});

describe('aimlapi polled states', () => {
  const completedUrl = 'https://cdn.aimlapi.com/generations/hedgehog/1759868837791-a28d3ad2-df8e-4016-bec2-9db9ff78d038.mp4';
  it.each<[string, number, number | undefined, UpstreamState]>([
    ['status-queued', 5_000, undefined, { status: 'queued', rawStatus: 'queued', progress: 0 }],
    ['status-waiting', 5_000, 7, { status: 'queued', rawStatus: 'waiting', progress: 7 }],
    ['status-generating', 0, undefined, { status: 'in_progress', rawStatus: 'generating', progress: 1 }],
    ['status-generating', 90_000, undefined, { status: 'in_progress', rawStatus: 'generating', progress: 84 }],
    ['status-generating', 90_000, 95, { status: 'in_progress', rawStatus: 'generating', progress: 95 }],
    ['status-active', 10 * 3600_000, undefined, { status: 'in_progress', rawStatus: 'active', progress: 98 }],
    ['status-processing', 45_000, undefined, { status: 'in_progress', rawStatus: 'processing', progress: 62 }],
    [
      'status-completed',
      90_000,
      50,
      { status: 'completed', rawStatus: 'completed', progress: 100, contentUrl: completedUrl, usage: { credits_used: 2520000, usd_spent: 1.26 } },
    ],
    [
      'status-completed-legacy-usage',
      1_000,
      undefined,
      { status: 'completed', rawStatus: 'completed', progress: 100, contentUrl: 'https://cdn.aimlapi.com/generations/panda/1759870000000-1b2c.mp4', usage: { tokens_used: 700000 } },
    ],
    [
      'status-error',
      60_000,
      40,
      { status: 'failed', rawStatus: 'error', error: { code: 'moderation_blocked', message: "The prompt was rejected by the provider's safety filter." } },
    ],
    [
      'status-error-legacy-detail',
      60_000,
      undefined,
      { status: 'failed', rawStatus: 'error', error: { code: 'face_detection_error', message: 'Could not detect face in the image' } },
    ],
    ['status-unknown-word', 60_000, 30, { status: undefined, rawStatus: 'uploading' }],
  ])('%s at +%i ms (last %s)', (name, elapsed, last, expected) => {
    expect(toUpstreamState(generation(name), ctx(elapsed, last))).toEqual(expected);
  });

  it('treats completed without video.url as unknown (nothing to serve yet)', () => {
    const state = toUpstreamState(AimlGenerationSchema.parse({ id: 'a:b', status: 'completed', video: null }), ctx(1000));
    expect(state.status).toBeUndefined();
    expect(state.rawStatus).toBe('completed');
  });
});

describe('aimlapi progress estimate', () => {
  it('is monotonic in elapsed time and stays within 1–98', () => {
    let prev = 0;
    for (let ms = 0; ms <= 3_600_000; ms += 5_000) {
      const p = estimateProgress(ms, '12', '1280x720');
      expect(p).toBeGreaterThanOrEqual(prev);
      expect(p).toBeGreaterThanOrEqual(1);
      expect(p).toBeLessThanOrEqual(98);
      expect(Number.isInteger(p)).toBe(true);
      prev = p;
    }
    expect(prev).toBe(98);
  });

  it('expects longer clips and 1080p to take longer', () => {
    expect(estimateProgress(60_000, '12', '1280x720')).toBeLessThan(estimateProgress(60_000, '4', '1280x720'));
    expect(estimateProgress(60_000, '4', '1792x1024')).toBeLessThan(estimateProgress(60_000, '4', '1280x720'));
  });

  it('survives a clock behind the creation time', () => {
    expect(estimateProgress(-5_000, '4', '720x1280')).toBe(1);
  });
});

describe('aimlapi failed-job errors', () => {
  it.each([
    [{ name: 'ModerationError', message: 'nope' }, { code: 'moderation_blocked', message: 'nope' }],
    [{ name: 'GenerationTimeout', message: 'took too long' }, { code: 'generation_timeout', message: 'took too long' }],
    [{ message: 'odd' }, { code: 'generation_failed', message: 'odd' }],
    ['plain text', { code: 'generation_failed', message: 'plain text' }],
    [null, { code: 'generation_failed', message: 'The video generation failed upstream.' }],
    [{ weird: 1 }, { code: 'generation_failed', message: '{"weird":1}' }],
    [{ name: 'AuthError', message: 'bad key sk-abcdef0123456789' }, { code: 'auth_error', message: 'bad key [redacted]' }],
  ])('%j → %j', (raw, expected) => {
    expect(jobErrorOf(raw)).toEqual(expected);
  });
});

describe('aimlapi create bodies', () => {
  const job = (over: Partial<CreateJob> = {}): CreateJob => ({
    prompt: 'A dragon',
    model: 'openai/sora-2-pro-t2v',
    imageModel: 'openai/sora-2-pro-i2v',
    seconds: '8',
    size: '1280x720',
    ...over,
  });

  it.each([
    ['720x1280', '9:16', '720p'],
    ['1280x720', '16:9', '720p'],
    ['1024x1792', '9:16', '1080p'],
    ['1792x1024', '16:9', '1080p'],
  ])('size %s → %s / %s', (size, aspect, resolution) => {
    expect(buildCreateBody(job({ size }))).toEqual({ model: 'openai/sora-2-pro-t2v', prompt: 'A dragon', duration: 8, aspect_ratio: aspect, resolution });
  });

  it('uses the image model and a data URL for an uploaded file', () => {
    const data = Buffer.from('not really a png');
    const body = buildCreateBody(job({ inputReference: { kind: 'file', data, mimeType: 'image/png', filename: 'a.png' } }));
    expect(body.model).toBe('openai/sora-2-pro-i2v');
    expect(body.image_url).toBe(`data:image/png;base64,${data.toString('base64')}`);
  });

  it("passes the client's URL on", () => {
    expect(buildCreateBody(job({ inputReference: { kind: 'url', url: 'https://img.example/a.jpg' } })).image_url).toBe('https://img.example/a.jpg');
  });

  it.each<[string, Partial<CreateJob>, string]>([
    ['an image without image_model', { imageModel: undefined, inputReference: { kind: 'url', url: 'https://img.example/a.jpg' } }, 'input_reference'],
    ['a file_id', { inputReference: { kind: 'file_id', fileId: 'file-1' } }, 'input_reference'],
    ['an unmapped size', { size: '1920x1080' }, 'size'],
    ['non-integer seconds', { seconds: '4.5' }, 'seconds'],
  ])('refuses %s with a 400 on %s', (_label, over, param) => {
    let caught: unknown;
    try {
      buildCreateBody(job(over));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect(caught).toMatchObject({ status: 400, param });
  });

  it('URL-encodes the colon (and slash) of an id in generation_id', () => {
    expect(generationUrl('https://api.aimlapi.com/', 'video_ab:openai/sora-2-t2v')).toBe(
      'https://api.aimlapi.com/v2/video/generations?generation_id=video_ab%3Aopenai%2Fsora-2-t2v',
    );
  });
});

describe('aimlapi error answers → gateway errors', () => {
  it.each<[string, new (...a: never[]) => GatewayError, Partial<GatewayError>]>([
    ['error-validation', InvalidRequestError, { status: 400, message: "Body validation error: duration: Invalid enum value. Expected 4 | 8 | 12, received '5'" }],
    ['error-validation-array', InvalidRequestError, { status: 400, message: 'image_url must be a URL address or a base64 image' }],
    ['error-invalid-key', UpstreamError, { status: 502, code: 'upstream_auth_failed', failover: true }],
    ['error-out-of-credits', UpstreamError, { status: 502, code: 'upstream_quota_exhausted', failover: true }],
    ['error-rate-limit', RateLimitError, { status: 429, message: 'Too Many Requests', failover: true }],
    ['error-maintenance', UpstreamError, { status: 502, failover: true }],
  ])('%s', (name, cls, expected) => {
    const f = aimlFixture(name);
    const err = translateUpstreamError({ status: f.status, headers: {}, text: JSON.stringify(f.body) }, { providerId: 'aiml', log: silent, verb: 'create' });
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject(expected);
  });
});
