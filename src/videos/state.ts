import { TERMINAL_STATUSES, type Video } from '../openai/videos.js';
import type { UpstreamState } from '../providers/types.js';
import { storedEntry } from '../storage/custody-record.js';
import type { TaskRecord, TaskState } from '../stores/task-store.js';

/** Without an upstream deadline, assets are assumed to live as long as OpenAI's: one hour. */
const DEFAULT_ASSET_LIFETIME_S = 3600;

export function isTerminal(state: Pick<TaskState, 'status'>): boolean {
  return TERMINAL_STATUSES.has(state.status);
}

/** The state a freshly accepted job starts in. */
export function initialState(upstream: UpstreamState, nowMs: number): TaskState {
  return mergeState({ status: 'queued', progress: 0, error: null, completedAt: null, expiresAt: null }, upstream, nowMs);
}

/**
 * Folds an upstream observation into the last known state. An unknown upstream
 * word (status undefined) keeps the last status; progress never goes backwards
 * and reaches 100 only on completion; terminal states get their timestamps.
 */
export function mergeState(prev: TaskState, next: UpstreamState, nowMs: number): TaskState {
  const status = next.status ?? prev.status;
  const nowS = Math.floor(nowMs / 1000);
  const reported = next.progress === undefined ? prev.progress : Math.round(next.progress);
  const base = {
    rawStatus: next.rawStatus ?? prev.rawStatus,
    contentUrl: next.contentUrl ?? prev.contentUrl,
    usage: next.usage ?? prev.usage,
    seconds: next.seconds ?? prev.seconds,
  };
  const clean = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  if (status === 'completed') {
    const completedAt = next.completedAt ?? prev.completedAt ?? nowS;
    return clean({
      ...base,
      status,
      progress: 100,
      error: null,
      completedAt,
      expiresAt: next.expiresAt ?? prev.expiresAt ?? completedAt + DEFAULT_ASSET_LIFETIME_S,
    });
  }
  if (status === 'failed') {
    return clean({
      ...base,
      status,
      progress: Math.min(100, Math.max(prev.progress, reported)),
      error: next.error ?? prev.error ?? { code: 'generation_failed', message: 'The video generation failed upstream.' },
      completedAt: next.completedAt ?? prev.completedAt ?? nowS,
      expiresAt: null,
    });
  }
  return clean({
    ...base,
    status,
    progress: Math.min(99, Math.max(0, prev.progress, reported)),
    error: null,
    completedAt: null,
    expiresAt: null,
  });
}

/**
 * When the video's assets expire: once Reelay holds the video file, its own
 * retention (stored-at + storage.retention_days), not the provider's link.
 */
function expiresAt(record: TaskRecord): number | null {
  const kept = record.state.status === 'completed' ? storedEntry(record.custody, 'video') : undefined;
  return kept?.expiresAt ?? record.state.expiresAt;
}

/** The public OpenAI Video object: all 13 keys, nullable ones as null. */
export function toVideo(record: TaskRecord): Video {
  const { state } = record;
  return {
    id: record.id,
    object: 'video',
    created_at: Math.floor(record.createdAt / 1000),
    completed_at: state.completedAt,
    expires_at: expiresAt(record),
    error: state.error,
    model: record.model,
    progress: state.progress,
    prompt: record.prompt,
    remixed_from_video_id: record.remixedFrom,
    seconds: record.seconds,
    size: record.size,
    status: state.status,
  };
}
