import { videoToState, type StatusTable } from '../http/openai-compatible/state.js';
import type { UpstreamState } from '../types.js';
import type { MintlifyVideo } from './wire.js';

/**
 * apigo video object → UpstreamState. Pure. The documented words are
 * `pending | in_progress | completed | failed`; `queued` is accepted too, since the
 * API otherwise copies OpenAI's object and a move to OpenAI's word must not stall jobs.
 */

export const MINTLIFY_STATUS: StatusTable = Object.freeze({
  pending: 'queued',
  queued: 'queued',
  in_progress: 'in_progress',
  completed: 'completed',
  failed: 'failed',
});

export function mintlifyVideoToState(video: MintlifyVideo, last?: UpstreamState): UpstreamState {
  return videoToState(video, MINTLIFY_STATUS, last);
}
