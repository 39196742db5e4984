import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { convertSlot } from './json-schema.js';
import { BODY_OPTIONAL, errorResponse } from './route-docs.js';
import { ADMIN_KEY, CLIENT_KEY } from './security.js';

/**
 * The two hooks @fastify/swagger calls while it builds the document: one per
 * route (zod → JSON Schema, plus what the route's door implies), one on the
 * finished document.
 */

/** Which key a path needs, by prefix: exactly how app.ts scopes its auth hooks. */
function doorOf(url: string): typeof CLIENT_KEY | typeof ADMIN_KEY | undefined {
  if (url === '/admin/v1' || url.startsWith('/admin/v1/')) return ADMIN_KEY;
  if (url === '/v1' || url.startsWith('/v1/')) return CLIENT_KEY;
  return undefined;
}

const INPUT_SLOTS = ['querystring', 'params', 'headers', 'body'] as const;

export const transformRoute: SwaggerTransform = ({ schema, url }) => {
  if (schema === undefined || schema.hide === true) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  for (const slot of INPUT_SLOTS) if (schema[slot] !== undefined) out[slot] = convertSlot(schema[slot], 'input');

  const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) };
  // OpenAPI: an empty array is "no key needed", which health and docs routes really are.
  const door = doorOf(url);
  const security = schema.security ?? (door === undefined ? [] : [{ [door]: [] }]);
  if (security.length > 0) {
    // Every request through the door is authenticated and rate limited before its handler runs.
    response[401] ??= errorResponse(401);
    response[429] ??= errorResponse(429);
  }
  response.default ??= errorResponse('default');
  out.response = convertSlot(response, 'output');
  out.security = security;
  return { schema: out as FastifySchema, url };
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Finishes what a route cannot say through @fastify/swagger: an optional request body. */
export const transformDocument: SwaggerTransformObject = (documentObject) => {
  const doc = (documentObject as { openapiObject: OpenAPIV3_1.Document }).openapiObject;
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method] as (OpenAPIV3_1.OperationObject & Record<string, unknown>) | undefined;
      if (op?.[BODY_OPTIONAL] === undefined) continue;
      delete op[BODY_OPTIONAL];
      if (op.requestBody && !('$ref' in op.requestBody)) op.requestBody.required = false;
    }
  }
  return doc;
};
