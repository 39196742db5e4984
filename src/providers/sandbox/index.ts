import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ProviderConfig } from '../../config/schema.js';
import { NotFoundError } from '../../errors.js';
import { CONTENT_TYPES, type Variant } from '../../openai/videos.js';
import { parseByteRange, rangeNotSatisfiable } from '../byte-range.js';
import type { AcceptedJob, ContentResponse, ProviderDeps, UpstreamJobRef, UpstreamState, VideoProvider } from '../types.js';
import { decodeJob, encodeJob, type SandboxJob } from './job-token.js';

/**
 * A provider that needs no network: jobs move queued → in_progress → completed
 * over `generation_seconds`, and a prompt containing `[fail]` ends failed. Its
 * content is real media committed under ./media (see its README).
 */

export const SANDBOX_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024', '1920x1080', '1080x1920'] as const;
export const SANDBOX_SECONDS = ['4', '8', '12', '16', '20'] as const;

const MEDIA_DIR = fileURLToPath(new URL('./media/', import.meta.url));
const EXTENSIONS: Readonly<Record<Variant, string>> = Object.freeze({ video: 'mp4', thumbnail: 'webp', spritesheet: 'jpg' });

/**
 * The committed file a job's variant is served from: the video lasts the
 * job's requested seconds (`<size>-<seconds>s.mp4`); the thumbnail and
 * spritesheet are per size. Size and seconds were validated against
 * SANDBOX_SIZES / SANDBOX_SECONDS at create, so they name a file that exists.
 */
export const mediaPath = (job: { size: string; seconds: string }, variant: Variant): string =>
  variant === 'video' ? `${MEDIA_DIR}${job.size}-${job.seconds}s.mp4` : `${MEDIA_DIR}${job.size}.${EXTENSIONS[variant]}`;
/** The first tenth of the generation time is spent queued, as real providers do. */
const QUEUED_SHARE = 0.1;
const ASSET_LIFETIME_S = 24 * 3600;

type SandboxConfig = Extract<ProviderConfig, { type: 'sandbox' }>;

export function stateAt(job: SandboxJob, now: number): UpstreamState {
  const elapsed = now - job.startedAt;
  if (elapsed >= job.generationMs) {
    const completedAt = Math.floor((job.startedAt + job.generationMs) / 1000);
    if (job.fail) {
      return {
        status: 'failed',
        rawStatus: 'failed',
        progress: 100,
        completedAt,
        error: { code: 'sandbox_failure', message: 'The sandbox failed this job because its prompt contains [fail].' },
      };
    }
    return { status: 'completed', rawStatus: 'completed', progress: 100, completedAt, expiresAt: completedAt + ASSET_LIFETIME_S, error: null };
  }
  if (elapsed < job.generationMs * QUEUED_SHARE) return { status: 'queued', rawStatus: 'queued', progress: 0 };
  const progress = Math.min(99, Math.max(1, Math.floor((elapsed / job.generationMs) * 100)));
  return { status: 'in_progress', rawStatus: 'in_progress', progress };
}

export function createSandboxProvider(config: SandboxConfig, deps: ProviderDeps): VideoProvider {
  const generationMs = Math.round(config.generation_seconds * 1000);

  const start = (prompt: string, seconds: string, size: string): AcceptedJob => {
    const job: SandboxJob = { startedAt: deps.clock.now(), generationMs, seconds, size, fail: prompt.includes('[fail]') };
    return { upstreamId: encodeJob(job), credential: `${config.id}:none`, state: { status: 'queued', rawStatus: 'queued', progress: 0 } };
  };

  const jobOf = (ref: UpstreamJobRef): SandboxJob => {
    const job = decodeJob(ref.upstreamId);
    if (!job) throw new NotFoundError('The sandbox has no such job.', { code: 'video_not_found', provider: config.id });
    return job;
  };

  return {
    id: config.id,
    type: 'sandbox',
    capabilities: { remix: true, delete: true, variants: ['video', 'thumbnail', 'spritesheet'], seconds: SANDBOX_SECONDS, sizes: SANDBOX_SIZES },

    async create(job) {
      return start(job.prompt, job.seconds, job.size);
    },

    async status(ref) {
      return stateAt(jobOf(ref), deps.clock.now());
    },

    async content(ref, req): Promise<ContentResponse> {
      const job = jobOf(ref);
      const path = mediaPath(job, req.variant);
      const { size } = await stat(path);
      const range = parseByteRange(req.range, size);
      if (range === 'unsatisfiable') throw rangeNotSatisfiable(size, config.id);
      const contentType = CONTENT_TYPES[req.variant];
      if (!range) return { status: 200, body: createReadStream(path), contentType, contentLength: size };
      return {
        status: 206,
        body: createReadStream(path, { start: range.start, end: range.end }),
        contentType,
        contentLength: range.end - range.start + 1,
        contentRange: `bytes ${range.start}-${range.end}/${size}`,
      };
    },

    async remix(ref, prompt) {
      return start(prompt, ref.seconds, ref.size);
    },

    async delete() {
      // Nothing is stored upstream; the record is all there is.
    },
  };
}
