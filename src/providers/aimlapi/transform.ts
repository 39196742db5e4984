import { InvalidRequestError } from '../../errors.js';
import type { VideoError, VideoStatus } from '../../openai/videos.js';
import { lookupStatus } from '../http/openai-compatible/state.js';
import { scrubSecrets } from '../http/upstream-errors.js';
import type { CreateJob, UpstreamState } from '../types.js';
import { AimlErrorSchema, type AimlCreateBody, type AimlGeneration } from './wire.js';
import { isHttpUrl } from '../http/content-fetch.js';

/**
 * Pure OpenAI ⇄ AI/ML API transforms for `/v2/video/generations`.
 * Reference: providers.md §5 (wire format) and §8 column D (normalisation).
 */

/**
 * The schema's four words plus the ones sample clients treat as running
 * (providers.md §5.3). Anything else keeps the task in its last known state.
 */
export const AIML_STATUS: Readonly<Record<string, VideoStatus>> = Object.freeze({
  queued: 'queued',
  waiting: 'queued',
  generating: 'in_progress',
  active: 'in_progress',
  processing: 'in_progress',
  completed: 'completed',
  error: 'failed',
});

export function normaliseStatus(raw: string | null | undefined): VideoStatus | undefined {
  return lookupStatus(AIML_STATUS, raw);
}

/** OpenAI sizes as aspect ratio + resolution; "1080p" is OpenAI's 1792 pair (providers.md §5.1). */
export const AIML_SIZES: Readonly<Record<string, Pick<AimlCreateBody, 'aspect_ratio' | 'resolution'>>> = Object.freeze({
  '720x1280': { aspect_ratio: '9:16', resolution: '720p' },
  '1280x720': { aspect_ratio: '16:9', resolution: '720p' },
  '1024x1792': { aspect_ratio: '9:16', resolution: '1080p' },
  '1792x1024': { aspect_ratio: '16:9', resolution: '1080p' },
});
export const AIML_SUPPORTED_SIZES: readonly string[] = Object.freeze(Object.keys(AIML_SIZES));

/** Base URL is the host root; the API lives under /v2. */
export function createUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v2/video/generations`;
}

/** Ids look like `<job>:<model>`: the colon (and a slash in the model) is percent-encoded. */
export function generationUrl(baseUrl: string, upstreamId: string): string {
  return `${createUrl(baseUrl)}?generation_id=${encodeURIComponent(upstreamId)}`;
}

/**
 * The JSON create body. The target's `model` serves text-to-video and its
 * `image_model` image-to-video; an image request on a target without one is
 * refused (failover lets routing try a target that has one).
 */
export function buildCreateBody(job: CreateJob): AimlCreateBody {
  const ref = job.inputReference;
  const model = ref ? job.imageModel : job.model;
  if (model === undefined) {
    throw new InvalidRequestError(
      'This model has no image-to-video variant configured, so input_reference cannot be used with it.',
      { param: 'input_reference', code: 'unsupported_value', failover: true },
    );
  }
  if (ref?.kind === 'file_id') {
    throw new InvalidRequestError(
      'This provider cannot resolve file ids; send input_reference as an uploaded image or as image_url.',
      { param: 'input_reference', code: 'unsupported_value' },
    );
  }
  if (!/^[1-9][0-9]*$/.test(job.seconds)) {
    throw new InvalidRequestError(`Invalid 'seconds': '${job.seconds}' is not a whole number of seconds.`, { param: 'seconds' });
  }
  const shape = Object.hasOwn(AIML_SIZES, job.size) ? AIML_SIZES[job.size] : undefined;
  if (!shape) {
    const supported = AIML_SUPPORTED_SIZES.map((s) => `'${s}'`).join(', ');
    throw new InvalidRequestError(`Invalid 'size': '${job.size}' is not supported. Supported values are: ${supported}.`, {
      param: 'size',
      code: 'unsupported_value',
    });
  }
  const body: AimlCreateBody = { model, prompt: job.prompt, duration: Number(job.seconds), ...shape };
  if (ref?.kind === 'file') body.image_url = `data:${ref.mimeType};base64,${ref.data.toString('base64')}`;
  else if (ref?.kind === 'url') body.image_url = ref.url;
  return body;
}

/**
 * AI/ML API reports no progress. The estimate follows elapsed time against the
 * expected generation time (about 90 s for 4 s at 1080p, providers.md §5.4):
 * an exponential approach that stays within 1–98 while running.
 */
export function estimateProgress(elapsedMs: number, seconds: string, size: string): number {
  const secs = Number(seconds) > 0 ? Number(seconds) : 4;
  const expectedMs = (20_000 + 10_000 * secs) * (AIML_SIZES[size]?.resolution === '1080p' ? 1.5 : 1);
  const x = Math.max(0, elapsedMs) / expectedMs;
  return 1 + Math.floor(97 * (1 - Math.exp(-2 * x)));
}

const MAX_ERROR_MESSAGE = 1000;

const snake = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();

/** `{name, message}`, a legacy `{detail:[{msg,type}]}` or anything else, as OpenAI's `{code, message}`. */
export function jobErrorOf(raw: unknown): VideoError {
  const fallback: VideoError = { code: 'generation_failed', message: 'The video generation failed upstream.' };
  if (typeof raw === 'string') return raw.trim() ? { code: fallback.code, message: scrubSecrets(raw.trim()).slice(0, MAX_ERROR_MESSAGE) } : fallback;
  const parsed = AimlErrorSchema.safeParse(raw);
  if (!parsed.success) return fallback;
  const { name, message, detail } = parsed.data;
  const detailText = detail?.map((d) => d.msg).filter((m): m is string => Boolean(m)).join('; ');
  const text = message?.trim() || detailText || (raw === null || raw === undefined ? '' : JSON.stringify(raw));
  const detailType = (detail?.[0] as { type?: unknown } | undefined)?.type;
  const codeSource = name ?? (typeof detailType === 'string' ? detailType : undefined);
  const code = codeSource === undefined ? fallback.code : /moderat|safety/i.test(codeSource) ? 'moderation_blocked' : snake(codeSource) || fallback.code;
  return { code, message: scrubSecrets(text || fallback.message).slice(0, MAX_ERROR_MESSAGE) };
}

export interface ProgressContext {
  nowMs: number;
  createdAt: number;
  seconds: string;
  size: string;
  lastProgress?: number | undefined;
}

/**
 * One polled generation as a normalised state. `completed` without
 * `video.url` cannot be served, so it is treated like an unknown word.
 */
export function toUpstreamState(body: AimlGeneration, ctx: ProgressContext): UpstreamState {
  let status = normaliseStatus(body.status);
  const url = body.video?.url;
  if (status === 'completed' && !isHttpUrl(url)) status = undefined;
  const state: UpstreamState = { status, rawStatus: body.status ?? undefined };
  const last = ctx.lastProgress ?? 0;
  if (status === 'completed') {
    state.progress = 100;
    state.contentUrl = url!;
  } else if (status === 'in_progress') {
    state.progress = Math.min(99, Math.max(last, estimateProgress(ctx.nowMs - ctx.createdAt, ctx.seconds, ctx.size)));
  } else if (status === 'queued') {
    state.progress = Math.min(99, last);
  } else if (status === 'failed') {
    state.error = jobErrorOf(body.error);
  }
  if (body.meta?.usage !== undefined) state.usage = body.meta.usage;
  return state;
}
