import type { VideoError, VideoStatus } from '../../../openai/videos.js';
import type { UpstreamState } from '../../types.js';
import { scrubSecrets } from '../upstream-errors.js';
import type { OpenAIVideoWire } from './wire.js';

/**
 * Pure OpenAI-shaped video → UpstreamState, parameterised by the adapter's own
 * frozen status table (each adapter keeps its table in its folder).
 */

export type StatusTable = Readonly<Record<string, VideoStatus>>;

/** The table's answer for an upstream word (trimmed, case-folded); undefined when unknown. */
export function lookupStatus(table: StatusTable, raw: string | null | undefined): VideoStatus | undefined {
  if (typeof raw !== 'string') return undefined;
  const word = raw.trim().toLowerCase();
  return Object.hasOwn(table, word) ? table[word] : undefined;
}

/** Unix seconds; a value that can only be milliseconds is converted. */
export function unixSeconds(v: number | null | undefined): number | null | undefined {
  if (v === null || v === undefined) return v;
  if (!Number.isFinite(v) || v < 0) return undefined;
  return Math.floor(v > 1e12 ? v / 1000 : v);
}

export function clampProgress(v: number | null | undefined): number | undefined {
  if (v === null || v === undefined || !Number.isFinite(v)) return undefined;
  return Math.min(100, Math.max(0, Math.round(v)));
}

export const DEFAULT_FAILURE: VideoError = Object.freeze({
  code: 'generation_failed',
  message: 'The upstream provider reported the video as failed without details.',
});

/** `{code,message[,type]}`, a bare string, or nothing → OpenAI's `{code,message}`; key-shaped text is scrubbed. */
export function normaliseVideoError(error: unknown): VideoError {
  if (typeof error === 'string' && error.trim() !== '') return { code: DEFAULT_FAILURE.code, message: scrubSecrets(error.trim()) };
  if (typeof error === 'object' && error !== null) {
    const e = error as Record<string, unknown>;
    const code = typeof e.code === 'string' && e.code !== '' ? e.code : typeof e.code === 'number' ? String(e.code) : undefined;
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : undefined;
    if (code !== undefined || message !== undefined) {
      return { code: code ?? DEFAULT_FAILURE.code, message: scrubSecrets(message ?? DEFAULT_FAILURE.message) };
    }
  }
  return { ...DEFAULT_FAILURE };
}

/**
 * Progress is kept monotonic against the last known state while the job runs,
 * forced to 100 on completion; the error object is set exactly when failed.
 */
export function videoToState(video: OpenAIVideoWire, table: StatusTable, last?: UpstreamState): UpstreamState {
  const status = lookupStatus(table, video.status);
  let progress = clampProgress(video.progress);
  if (status === 'completed') progress = 100;
  else if (status !== 'failed' && last?.progress !== undefined) progress = Math.max(progress ?? 0, last.progress);
  const state: UpstreamState = {
    status,
    rawStatus: video.status ?? undefined,
    progress,
    error: status === 'failed' ? normaliseVideoError(video.error) : status === undefined ? undefined : null,
    completedAt: unixSeconds(video.completed_at),
    expiresAt: unixSeconds(video.expires_at),
  };
  // What was delivered, for budget settlement; only a finished video's figure means that.
  const seconds = Number(video.seconds);
  if (status === 'completed' && Number.isFinite(seconds) && seconds > 0) state.seconds = seconds;
  return state;
}
