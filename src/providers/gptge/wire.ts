import { z } from 'zod';

/**
 * Upstream bodies of gpt.ge and the new-api family of OpenAI-compatible
 * resellers (providers.md §2, §3, §7). Every schema is lenient: unknown keys
 * pass, and an optional field of an unexpected type reads as absent instead of
 * failing the whole body, because resellers drift field by field.
 */

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

/** Numbers sometimes arrive as numeric strings. */
const numberish = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
  z.number().finite(),
);

const text = z.string();

/** `metadata` is an object on new-api's non-Sora channels; a JSON string elsewhere. */
const MetadataSchema = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return undefined;
    }
  },
  z.looseObject({ url: optional(text) }),
);

/** The video object: OpenAI's shape, with the family's extra keys. */
export const GptgeVideoSchema = z.looseObject({
  id: optional(text),
  /** new-api v2+ echoes the public id here too; some resellers send only this. */
  task_id: optional(text),
  object: optional(text),
  model: optional(text),
  status: optional(text),
  progress: optional(numberish),
  created_at: optional(numberish),
  completed_at: optional(numberish),
  expires_at: optional(numberish),
  seconds: optional(z.union([text, numberish])),
  size: optional(text),
  /** `{code, message}` from OpenAI; free text or other shapes from reverse channels. */
  error: z.unknown().optional(),
  video_url: optional(text),
  url: optional(text),
  /** gaorui: `{base}/v1/videos/{id}/content`. */
  output_url: optional(text),
  metadata: optional(MetadataSchema),
});
export type GptgeVideo = z.output<typeof GptgeVideoSchema>;

/** A `/content` answer with a JSON body instead of bytes (gpt.ge docs, anyfast, starrise). */
export const GptgeContentJsonSchema = z.looseObject({
  url: optional(text),
  video_url: optional(text),
  metadata: optional(MetadataSchema),
  data: optional(z.looseObject({ url: optional(text), video_url: optional(text) })),
});
export type GptgeContentJson = z.output<typeof GptgeContentJsonSchema>;
