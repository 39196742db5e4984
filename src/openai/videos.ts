import { z } from 'zod';

/**
 * The public OpenAI `/v1/videos` wire contract: what the official SDK sends and
 * what it expects back. Nothing here knows about providers or storage.
 * Reference: ../shared/reference/openai-videos-api.md §1–§3.
 */

export const VIDEO_STATUSES = ['queued', 'in_progress', 'completed', 'failed'] as const;
export const VideoStatusSchema = z.enum(VIDEO_STATUSES);
export type VideoStatus = z.infer<typeof VideoStatusSchema>;

export const TERMINAL_STATUSES: ReadonlySet<VideoStatus> = new Set(['completed', 'failed']);

export const CONTENT_VARIANTS = ['video', 'thumbnail', 'spritesheet'] as const;
export const VariantSchema = z.enum(CONTENT_VARIANTS);
export type Variant = z.infer<typeof VariantSchema>;

export const CONTENT_TYPES: Readonly<Record<Variant, string>> = Object.freeze({
  video: 'video/mp4',
  thumbnail: 'image/webp',
  spritesheet: 'image/jpeg',
});

export const VideoErrorSchema = z.object({ code: z.string(), message: z.string() });
export type VideoError = z.infer<typeof VideoErrorSchema>;

/** OpenAI's VideoResource: all 13 keys are required, nullable ones present as null. */
export const VideoSchema = z.strictObject({
  id: z.string(),
  object: z.literal('video'),
  created_at: z.number().int(),
  completed_at: z.number().int().nullable(),
  expires_at: z.number().int().nullable(),
  error: VideoErrorSchema.nullable(),
  model: z.string(),
  progress: z.number().int().min(0).max(100),
  prompt: z.string().nullable(),
  remixed_from_video_id: z.string().nullable(),
  seconds: z.string(),
  size: z.string(),
  status: VideoStatusSchema,
});
export type Video = z.infer<typeof VideoSchema>;

export const VideoDeletedSchema = z.strictObject({
  id: z.string(),
  object: z.literal('video.deleted'),
  deleted: z.literal(true),
});
export type VideoDeleted = z.infer<typeof VideoDeletedSchema>;

/** OpenAI's cursor page of videos: `after` = `last_id` fetches the next one. */
export const VideoListSchema = z.strictObject({
  object: z.literal('list'),
  data: z.array(VideoSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
export type VideoList = z.infer<typeof VideoListSchema>;

const typeName = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
};

/** A string field with OpenAI's wording for a wrong JSON type. */
const stringField = (name: string) =>
  z.string({ error: (iss) => `Invalid type for '${name}': expected a string, but got ${typeName(iss.input)} instead.` });

export const PromptSchema = stringField('prompt')
  .min(1, "Invalid 'prompt': string too short. Expected a string with minimum length 1.")
  .max(32000, "Invalid 'prompt': string too long. Expected a string with maximum length 32000.");

/** A base64 image data URL; its bytes are sniffed apart, like an uploaded file's. */
const IMAGE_DATA_URL = /^data:image\/(?:png|jpeg|jpg|webp);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The base64 payload of an image data URL (whitespace removed), or undefined when it is not one. */
export function imageDataUrlPayload(url: string): string | undefined {
  const header = IMAGE_DATA_URL.exec(url);
  if (!header) return undefined;
  const payload = url.slice(header[0].length).replace(/\s+/g, '');
  return payload.length > 0 && payload.length % 4 === 0 && BASE64.test(payload) ? payload : undefined;
}

const isHttpUrl = (u: string): boolean => {
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};

export const ImageUrlSchema = stringField('input_reference.image_url')
  .max(20971520, "Invalid 'input_reference.image_url': string too long. Expected a string with maximum length 20971520.")
  .refine(
    (u) => (u.slice(0, 5).toLowerCase() === 'data:' ? imageDataUrlPayload(u) !== undefined : isHttpUrl(u)),
    'Invalid image_url: expected an http(s) URL or a base64 data URL of a PNG, JPEG or WebP image.',
  );

/** The object form of input_reference (JSON body, or bracketed multipart fields). */
export const InputReferenceObjectSchema = z
  .strictObject(
    {
      image_url: ImageUrlSchema.optional(),
      file_id: stringField('input_reference.file_id').min(1).optional(),
    },
    { error: (iss) => (iss.code === 'invalid_type' ? `Invalid type for 'input_reference': expected an object or a file, but got ${typeName(iss.input)} instead.` : undefined) },
  )
  .refine((o) => (o.image_url === undefined) !== (o.file_id === undefined), {
    message: 'Provide exactly one of `image_url` or `file_id` in input_reference.',
  });

/** The fields of a create request after JSON or multipart decoding (file handled apart). Unknown fields are a 400, as at OpenAI. */
export const VideoCreateFieldsSchema = z.strictObject({
  prompt: PromptSchema,
  model: stringField('model').min(1).optional(),
  seconds: stringField('seconds')
    .regex(/^[1-9][0-9]{0,2}$/, "Invalid 'seconds': expected a whole number of seconds as a string, such as '4', '8' or '12'.")
    .optional(),
  size: stringField('size')
    .regex(/^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$/, "Invalid 'size': expected WIDTHxHEIGHT, such as '720x1280' or '1280x720'.")
    .optional(),
  input_reference: InputReferenceObjectSchema.optional(),
  /** OpenAI's guide-only field; accepted by the schema so the 400 can say it is unsupported rather than unknown. */
  characters: z.unknown().optional(),
});
export type VideoCreateFields = z.infer<typeof VideoCreateFieldsSchema>;

export const VideoRemixBodySchema = z.strictObject({ prompt: PromptSchema });

const LIMIT_MESSAGE = "Invalid 'limit': expected an integer between 1 and 100.";

/** A page size: plain decimal digits, 1–100, default 20. `0x10`, `1e1`, `+5` and `5.0` are not integers here, whatever Number() thinks. */
export const ListLimitSchema = z
  .string({ error: LIMIT_MESSAGE })
  .regex(/^[0-9]{1,6}$/, LIMIT_MESSAGE)
  .transform(Number)
  .pipe(z.number().min(1, LIMIT_MESSAGE).max(100, LIMIT_MESSAGE))
  .default(20);

export const VideoListQuerySchema = z.object({
  after: z.string({ error: "Invalid 'after': expected a video id." }).min(1, "Invalid 'after': expected a video id.").optional(),
  limit: ListLimitSchema,
  order: z.enum(['asc', 'desc'], { error: "Invalid 'order': expected 'asc' or 'desc'." }).default('desc'),
});
export type VideoListQuery = z.infer<typeof VideoListQuerySchema>;

export const VideoContentQuerySchema = z.object({
  variant: z
    .enum(CONTENT_VARIANTS, { error: "Invalid 'variant': expected one of 'video', 'thumbnail' or 'spritesheet'." })
    .default('video'),
});

export const ErrorEnvelopeSchema = z.strictObject({
  error: z.strictObject({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;
