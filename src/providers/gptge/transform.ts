import { InvalidRequestError } from '../../errors.js';
import type { VideoStatus } from '../../openai/videos.js';
import { encodeMultipart, type MultipartPart } from '../http/openai-compatible/form.js';
import { clampProgress, lookupStatus, normaliseVideoError, unixSeconds } from '../http/openai-compatible/state.js';
import type { RawBody } from '../http/upstream-request.js';
import type { CreateJob, UpstreamState } from '../types.js';
import { GptgeContentJsonSchema, type GptgeVideo } from './wire.js';
import { isHttpUrl } from '../http/content-fetch.js';

/**
 * Pure OpenAI ⇄ new-api-family transforms. Reference: providers.md §2 (gpt.ge,
 * new-api), §3 (storyboard reseller), §7–§8 (what resellers vary).
 */

/**
 * Every status word the family is known to send, folded to lower case. new-api
 * v1/v2 relay the upstream word raw; v3 adds synonyms (providers.md §2.4); the
 * storyboard reseller says `processing` (§3.2). A word outside this table
 * keeps the task in its last known state.
 */
export const GPTGE_STATUS: Readonly<Record<string, VideoStatus>> = Object.freeze({
  queued: 'queued',
  pending: 'queued',
  submitted: 'queued',
  not_start: 'queued',
  notstarted: 'queued',
  preparing: 'queued',
  created: 'queued',
  starting: 'queued',
  in_progress: 'in_progress',
  processing: 'in_progress',
  running: 'in_progress',
  generating: 'in_progress',
  completed: 'completed',
  complete: 'completed',
  success: 'completed',
  succeeded: 'completed',
  finished: 'completed',
  failed: 'failed',
  failure: 'failed',
  fail: 'failed',
  error: 'failed',
  cancelled: 'failed',
  canceled: 'failed',
});

export function normaliseStatus(raw: string | null | undefined): VideoStatus | undefined {
  return lookupStatus(GPTGE_STATUS, raw);
}

/** new-api v2+ answers `id` and `task_id` (equal); some resellers only `task_id`. */
export function upstreamIdOf(body: GptgeVideo): string | undefined {
  const id = body.id ?? body.task_id;
  return id !== null && id !== undefined && id.trim() !== '' ? id : undefined;
}

/** Where a finished job's bytes are, when the reseller says so (providers.md §7, difference 4). */
export function contentUrlOf(body: GptgeVideo): string | undefined {
  return [body.video_url, body.url, body.metadata?.url, body.output_url].find(isHttpUrl);
}

/** The URL inside a JSON answer from `/content`. */
export function contentJsonUrl(json: unknown): string | undefined {
  const parsed = GptgeContentJsonSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const b = parsed.data;
  return [b.url, b.video_url, b.metadata?.url, b.data?.url, b.data?.video_url].find(isHttpUrl);
}

/** Unix seconds; new-api's Gemini view sends 0 for "not yet". */
const timestamp = (v: number | null | undefined): number | undefined => (v ? (unixSeconds(v) ?? undefined) : undefined);

/** One polled (or freshly created) video object as a normalised state. */
export function toUpstreamState(body: GptgeVideo): UpstreamState {
  const status = normaliseStatus(body.status);
  const state: UpstreamState = { status, rawStatus: body.status ?? undefined };
  const progress = clampProgress(body.progress);
  if (progress !== undefined) state.progress = progress;
  const completedAt = timestamp(body.completed_at);
  if (completedAt !== undefined) state.completedAt = completedAt;
  const expiresAt = timestamp(body.expires_at);
  if (expiresAt !== undefined) state.expiresAt = expiresAt;
  if (status === 'failed') state.error = normaliseVideoError(body.error);
  const contentUrl = contentUrlOf(body);
  if (contentUrl !== undefined) state.contentUrl = contentUrl;
  return state;
}

// ---------------------------------------------------------------------------
// Request bodies

export type Encoding = 'multipart' | 'json';

export type EncodedBody = RawBody & { body: Buffer };

const fileIdRefused = () =>
  new InvalidRequestError(
    'This provider cannot resolve file ids; send input_reference as an uploaded image or as image_url.',
    { param: 'input_reference', code: 'unsupported_value' },
  );

/**
 * The create body. Multipart mirrors what the OpenAI SDK sends (model first, as
 * new-api rebuilds it; a URL reference as `input_reference[image_url]`). JSON,
 * chosen by `encoding: json` when there is no file, carries a URL reference as
 * a plain string: new-api's `TaskSubmitReq.input_reference` is a string and an
 * object fails to decode there (providers.md §2.2).
 */
export function buildCreateBody(job: CreateJob, encoding: Encoding, boundary?: string): EncodedBody {
  const ref = job.inputReference;
  if (ref?.kind === 'file_id') throw fileIdRefused();
  if (encoding === 'json' && ref?.kind !== 'file') {
    const json: Record<string, string> = { model: job.model, prompt: job.prompt, seconds: job.seconds, size: job.size };
    if (ref?.kind === 'url') json.input_reference = ref.url;
    return { contentType: 'application/json', body: Buffer.from(JSON.stringify(json)) };
  }
  const parts: MultipartPart[] = [
    { name: 'model', value: job.model },
    { name: 'prompt', value: job.prompt },
    { name: 'seconds', value: job.seconds },
    { name: 'size', value: job.size },
  ];
  if (ref?.kind === 'file') {
    parts.push({ name: 'input_reference', filename: ref.filename || 'reference', contentType: ref.mimeType, data: ref.data });
  } else if (ref?.kind === 'url') {
    parts.push({ name: 'input_reference[image_url]', value: ref.url });
  }
  return encodeMultipart(parts, boundary);
}

// ---------------------------------------------------------------------------
// Errors

/**
 * new-api answers content requested before completion with a 400 "Task is not
 * completed yet, current status: IN_PROGRESS" (providers.md §2.5; gaorui does
 * the same): the job is fine, the bytes are just not there yet.
 */
export function isContentNotReady(status: number, message: string): boolean {
  return status === 400 && /not (yet )?(completed|complete|ready|finished)/i.test(message);
}
