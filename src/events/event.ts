import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * A job's one lifecycle event, in OpenAI's webhook event shape. It is created
 * by the terminal write itself (the same atomic step that makes the video
 * completed or failed), so a terminal video always has exactly one event.
 */
export const VIDEO_EVENT_TYPES = ['video.completed', 'video.failed'] as const;

export const VideoEventSchema = z.strictObject({
  id: z.string(),
  object: z.literal('event'),
  /** Unix seconds. */
  created_at: z.number().int(),
  type: z.enum(VIDEO_EVENT_TYPES),
  data: z.strictObject({ id: z.string() }),
});
export type VideoEvent = z.infer<typeof VideoEventSchema>;

/** `evt_` + 12 hex digits of ms + 64 random bits: ids sort by creation, like video ids. */
export const mintEventId = (nowMs: number): string => `evt_${nowMs.toString(16).padStart(12, '0')}${randomBytes(8).toString('hex')}`;

export function videoEvent(videoId: string, status: 'completed' | 'failed', nowMs: number): VideoEvent {
  return {
    id: mintEventId(nowMs),
    object: 'event',
    created_at: Math.floor(nowMs / 1000),
    type: status === 'completed' ? 'video.completed' : 'video.failed',
    data: { id: videoId },
  };
}
