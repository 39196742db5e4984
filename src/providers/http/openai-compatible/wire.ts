import { z } from 'zod';

/**
 * The OpenAI video object as OpenAI-shaped providers send it (openai-videos-api.md §2),
 * parsed leniently: extra keys pass, optional keys may be missing or null, numbers
 * may arrive as numeric strings. Only `id` is required; a body without one is not
 * a video object.
 */

/** A number, or a numeric string; anything else becomes undefined rather than failing the body. */
export const lenientNumber = z.preprocess((v) => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v === null ? null : undefined;
}, z.number().nullable().optional());

const lenientString = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : typeof v === 'string' || v === null ? v : undefined),
  z.string().nullable().optional(),
);

export const OpenAIVideoWireSchema = z.looseObject({
  id: z.string().min(1),
  object: lenientString,
  status: lenientString,
  progress: lenientNumber,
  created_at: lenientNumber,
  completed_at: lenientNumber,
  expires_at: lenientNumber,
  /** `{code,message}` (OpenAI), `{code,message,type}` (apigo), a string, or anything: read in the transform. */
  error: z.unknown().optional(),
  model: lenientString,
  prompt: lenientString,
  seconds: lenientString,
  size: lenientString,
  remixed_from_video_id: lenientString,
});
export type OpenAIVideoWire = z.output<typeof OpenAIVideoWireSchema>;

/** DELETE /videos/{id}: `{id, object:"video.deleted", deleted:true}`; read leniently, nothing in it is needed. */
export const OpenAIDeletedWireSchema = z.unknown();
