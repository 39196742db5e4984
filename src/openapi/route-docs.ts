import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler, RouteShorthandOptions } from 'fastify';
import type { z } from 'zod';
import { ErrorEnvelopeSchema } from '../openai/videos.js';
import { ADMIN_KEY } from './security.js';

/**
 * How a route describes itself for the OpenAPI document: the zod schemas its
 * handler already parses with, attached to the route for documentation only.
 *
 * Reelay's handlers validate with zod themselves (so every failure is OpenAI's
 * envelope, naming the param), and a response schema must never reshape what
 * is sent. So `documented()` also gives the route compilers that do nothing:
 * no Ajv validation or coercion, and plain JSON.stringify (Fastify's default
 * without a schema) instead of fast-json-stringify, which would drop fields.
 * src/openapi/transform.ts turns the zod schemas into JSON Schema when the
 * document is built.
 */

/** A response whose body is not JSON (video bytes) or not there (304): media types, each with a schema. */
export interface ResponseDoc {
  description: string;
  content?: Record<string, { schema: z.ZodType }>;
  /** No body at all (a 304). */
  type?: 'null';
}

export interface RouteDocs {
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  querystring?: z.ZodType;
  /** One JSON body, or a body per media type (JSON and multipart). */
  body?: z.ZodType | { content: Record<string, { schema: z.ZodType }> };
  /** The body is optional (rotate, redeliver): OpenAPI's requestBody.required is false. */
  bodyOptional?: boolean;
  /** Successful answers by status: a zod schema (JSON) or a ResponseDoc. Give the schema a `.describe()`. */
  response: Readonly<Record<number, z.ZodType | ResponseDoc>>;
  /**
   * Error statuses this route answers besides the ones every route of its
   * door answers (src/openapi/transform.ts adds 401 and 429 under /v1 and
   * /admin/v1, and a `default` for the rest).
   */
  errors?: readonly number[];
  /**
   * The key the route needs, when its path prefix does not say (transform.ts
   * derives it from /v1 and /admin/v1): e.g. /metrics takes the admin key
   * unless `metrics.public`.
   */
  auth?: 'admin' | 'none';
}

/** The operation extension that marks an optional body until the document is finished. */
export const BODY_OPTIONAL = 'x-reelay-body-optional';

/** What an error status means, for its response description. */
const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = Object.freeze({
  400: 'Invalid request (validation, an unknown parameter, an unsupported value).',
  401: 'Missing, unknown, disabled or expired key.',
  403: 'The key may not use this model.',
  404: 'Unknown id (or one owned by another key), or content that is not available.',
  409: 'The request conflicts with the resource (a read-only config key).',
  413: 'The body is too large.',
  414: 'A path parameter is longer than 100 characters.',
  415: 'The body is neither JSON nor multipart.',
  416: 'The range is outside the content.',
  429: 'A rate limit or budget is exhausted.',
  502: 'The provider failed.',
  503: 'The store is unreachable, or the instance is draining.',
  504: 'The provider did not answer in time.',
});

/** The error envelope as a response, described for `status`. */
export const errorResponse = (status: number | 'default'): z.ZodType =>
  ErrorEnvelopeSchema.describe(status === 'default' ? 'Any other error, in OpenAI\'s envelope.' : (ERROR_DESCRIPTIONS[status] ?? 'Error.'));

/** Fastify's compilers for a documented route: accept everything, stringify as Fastify would without a schema. */
const noValidation: FastifySchemaCompiler<unknown> = () => () => true;
const plainJson: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

/** Route options that document the route and change nothing about how it validates or serialises. */
export function documented(docs: RouteDocs): Pick<RouteShorthandOptions, 'schema' | 'validatorCompiler' | 'serializerCompiler'> {
  const response: Record<string, unknown> = { ...docs.response };
  for (const status of docs.errors ?? []) response[status] = errorResponse(status);
  const schema: FastifySchema & Record<string, unknown> = {
    operationId: docs.operationId,
    summary: docs.summary,
    tags: docs.tags,
    ...(docs.description === undefined ? {} : { description: docs.description }),
    ...(docs.querystring === undefined ? {} : { querystring: docs.querystring }),
    ...(docs.body === undefined ? {} : { body: docs.body }),
    // An `x-` key is copied onto the operation; transform.ts turns it into requestBody.required: false.
    ...(docs.bodyOptional ? { [BODY_OPTIONAL]: true } : {}),
    ...(docs.auth === undefined ? {} : { security: docs.auth === 'admin' ? [{ [ADMIN_KEY]: [] }] : [] }),
    response,
  };
  return { schema, validatorCompiler: noValidation, serializerCompiler: plainJson };
}
