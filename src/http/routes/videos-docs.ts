import { z } from 'zod';
import {
  CONTENT_TYPES,
  ImageUrlSchema,
  VideoContentQuerySchema,
  VideoCreateFieldsSchema,
  VideoDeletedSchema,
  VideoListQuerySchema,
  VideoListSchema,
  VideoRemixBodySchema,
  VideoSchema,
} from '../../openai/videos.js';
import { documented } from '../../openapi/route-docs.js';

/**
 * The OpenAPI description of each /v1/videos route (src/openapi), from the
 * same zod schemas the handlers and src/http/request-body.ts parse with. Kept
 * apart from videos.ts so the handlers stay readable; built per app, since
 * Fastify marks the schema objects it is given.
 */

const binary = (description: string) => z.string().meta({ format: 'binary', description });

/** `characters` is a field OpenAI knows, so it is accepted by the schema only to be refused by name. */
const CreateJsonSchema = () =>
  VideoCreateFieldsSchema.extend({ characters: z.unknown().optional().describe('No configured provider offers it: a 400 `unsupported_parameter`.') });

/**
 * The multipart form: the JSON fields, with `input_reference` as the uploaded
 * image file, or its object form as bracketed fields (src/http/form-fields.ts
 * decodes them into the JSON shape, which VideoCreateFieldsSchema then parses).
 */
const CreateMultipartSchema = () =>
  CreateJsonSchema().omit({ input_reference: true }).extend({
    input_reference: binary('A PNG, JPEG or WebP image, sniffed by its bytes; its pixel size should equal `size`.').optional(),
    'input_reference[image_url]': ImageUrlSchema.optional(),
    'input_reference[file_id]': z.string().min(1).optional(),
  });

/** What the content route serves: each variant's media type, as bytes. */
const contentBody = () => Object.fromEntries(Object.values(CONTENT_TYPES).map((type) => [type, { schema: binary(`The ${type} bytes.`) }]));

export function videoRouteDocs() {
  const video = VideoSchema.describe('The video: all 13 keys of OpenAI\'s Video object, nullable ones as null.');
  const tags = ['videos'];
  return {
    create: documented({
      operationId: 'createVideo',
      summary: 'Create a video',
      description: 'Multipart (what the SDKs send) or JSON. `model` defaults to `sora-2` when that alias exists; `seconds` and `size` to `4` and `720x1280` when the model allows them.',
      tags,
      body: { content: { 'multipart/form-data': { schema: CreateMultipartSchema() }, 'application/json': { schema: CreateJsonSchema() } } },
      response: { 200: video },
      errors: [400, 403, 413, 415, 502, 503, 504],
    }),
    remix: documented({
      operationId: 'remixVideo',
      summary: 'Remix a completed video',
      tags,
      body: { content: { 'application/json': { schema: VideoRemixBodySchema }, 'multipart/form-data': { schema: VideoRemixBodySchema } } },
      response: { 200: video },
      errors: [400, 404, 413, 415, 502, 503, 504],
    }),
    list: documented({
      operationId: 'listVideos',
      summary: "List this key's videos",
      description: 'Ordered by creation, ties broken by id; `after` = `last_id` fetches the next page.',
      tags,
      querystring: VideoListQuerySchema,
      response: { 200: VideoListSchema.describe('A page of videos.') },
      errors: [400],
    }),
    retrieve: documented({
      operationId: 'retrieveVideo',
      summary: 'Retrieve a video',
      description: 'Running jobs carry an `openai-poll-after-ms` header.',
      tags,
      response: { 200: video },
      errors: [404],
    }),
    content: documented({
      operationId: 'downloadVideoContent',
      summary: 'Download the video, its thumbnail or its spritesheet',
      description:
        'Before completion: 404 `video_not_ready`; after a failure: 404 `video_failed`; past `storage.retention_days`: 404 `video_expired`. One `Range` is answered 206; stored files carry `ETag` and answer `If-None-Match` with 304.',
      tags,
      querystring: VideoContentQuerySchema,
      response: {
        200: { description: 'The bytes of the variant.', content: contentBody() },
        206: { description: 'The requested range of the bytes.', content: contentBody() },
        304: { description: 'Not modified (If-None-Match matched the ETag).', type: 'null' },
      },
      errors: [400, 404, 416, 502, 503, 504],
    }),
    delete: documented({
      operationId: 'deleteVideo',
      summary: 'Delete a video',
      description: "Deletes it upstream too when the provider can, and Reelay's stored files.",
      tags,
      response: { 200: VideoDeletedSchema.describe('The video is deleted.') },
      errors: [404],
    }),
    /** OpenAI verbs no configured provider offers: always 400 unsupported_operation. */
    unsupported: (operationId: string, summary: string) =>
      documented({
        operationId,
        summary: `${summary} (not supported)`,
        description: 'Always 400 `unsupported_operation`: no configured provider offers it.',
        tags,
        response: {},
        errors: [400],
      }),
  };
}
