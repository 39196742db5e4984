import { z } from 'zod';

/**
 * Upstream bodies of AI/ML API's `/v2/video/generations` (providers.md §5).
 * Only `id` and `status` are guaranteed; everything else is read leniently
 * (unknown keys pass, a field of an unexpected type reads as absent).
 */

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

/** The create answer: `{id, status}`, or `generation_id` on legacy models, maybe `meta.usage`. */
export const AimlCreateSchema = z.looseObject({
  id: optional(z.string()),
  generation_id: optional(z.string()),
  status: optional(z.string()),
  meta: optional(z.looseObject({ usage: z.unknown().optional() })),
});
export type AimlCreate = z.output<typeof AimlCreateSchema>;

/** The universal fetch answer of `GET /v2/video/generations?generation_id=`. */
export const AimlGenerationSchema = z.looseObject({
  id: optional(z.string()),
  status: optional(z.string()),
  video: optional(z.looseObject({ url: optional(z.string()) })),
  /** `{name, message}` per the schema; free-form JSON on legacy models. */
  error: z.unknown().optional(),
  meta: optional(z.looseObject({ usage: z.unknown().optional() })),
  model: optional(z.string()),
});
export type AimlGeneration = z.output<typeof AimlGenerationSchema>;

export const AimlErrorSchema = z.looseObject({
  name: optional(z.string()),
  message: optional(z.string()),
  detail: optional(z.array(z.looseObject({ msg: optional(z.string()) }).catch({ msg: undefined }))),
});

/** What we send on create (JSON only). */
export interface AimlCreateBody {
  model: string;
  prompt: string;
  duration: number;
  aspect_ratio: '16:9' | '9:16';
  resolution: '720p' | '1080p';
  image_url?: string;
}
