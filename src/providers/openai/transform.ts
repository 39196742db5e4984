import type { UpstreamState } from '../types.js';
import { videoToState, type StatusTable } from '../http/openai-compatible/state.js';
import type { OpenAIVideo } from './wire.js';

/**
 * OpenAI video object → UpstreamState. Pure. OpenAI's own four words are the
 * canonical ones; anything else (e.g. the Batch-only `expired`) is unknown and
 * keeps the task's last state.
 */

export const OPENAI_STATUS: StatusTable = Object.freeze({
  queued: 'queued',
  in_progress: 'in_progress',
  completed: 'completed',
  failed: 'failed',
});

export function openAIVideoToState(video: OpenAIVideo, last?: UpstreamState): UpstreamState {
  return videoToState(video, OPENAI_STATUS, last);
}
