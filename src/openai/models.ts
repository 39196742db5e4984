import { z } from 'zod';

/**
 * OpenAI's Models API shapes (`GET /v1/models`, `GET /v1/models/{id}`), as
 * the official SDKs parse them. Reelay's models are its config's aliases.
 */

/**
 * `created` of every alias: 2026-01-01T00:00:00Z. An alias has no creation
 * date of its own, and a value that changed with each restart or differed
 * between instances behind one load balancer would look like churn to a
 * client that caches the list; other OpenAI-compatible gateways use one fixed
 * value too.
 */
export const MODEL_CREATED = 1_767_225_600;

export const ModelSchema = z
  .strictObject({
    id: z.string().describe('A model alias, as `model` takes it in POST /v1/videos.'),
    object: z.literal('model'),
    created: z.number().int().describe('Unix seconds; the same fixed value (2026-01-01T00:00:00Z) for every alias.'),
    owned_by: z.literal('reelay'),
  })
  .describe('A model alias this key may use.');
export type Model = z.infer<typeof ModelSchema>;

export const ModelListSchema = z
  .strictObject({ object: z.literal('list'), data: z.array(ModelSchema) })
  .describe('The model aliases this key may use, in config order.');
export type ModelList = z.infer<typeof ModelListSchema>;
