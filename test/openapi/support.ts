import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';

/** What the OpenAPI tests share: the registered routes, read back from Fastify, and document lookups. */

export interface RegisteredRoute {
  method: string;
  /** Fastify's pattern, e.g. /v1/videos/:id */
  url: string;
}

/**
 * Every route Fastify registered, read from `printRoutes()`: its radix tree,
 * one node a line, each indented four characters per level under its parent
 * and labelled with the part of the path it adds and, when a route ends
 * there, its methods. Joining the labels from the root gives each full path.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const labels: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const branch = line.indexOf('── ');
    if (branch < 1) continue;
    const depth = (branch - 1) / 4;
    const node = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(branch + 3))!;
    labels.length = depth;
    labels.push(node[1]!);
    for (const method of node[2]?.split(', ') ?? []) routes.push({ method, url: labels.join('') });
  }
  return routes;
}

/** Fastify's `:id` is OpenAPI's `{id}`. */
export const openapiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface DocumentedOperation {
  method: string;
  path: string;
  /** An operation always has its responses here: @fastify/swagger writes at least a default one. */
  op: OpenAPIV3_1.OperationObject & { responses: Record<string, OpenAPIV3_1.ResponseObject> };
}

export function operations(doc: OpenAPIV3_1.Document): DocumentedOperation[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item?.[m] !== undefined).map((m) => ({ method: m.toUpperCase(), path, op: item![m] as DocumentedOperation['op'] })),
  );
}

/** The schema a documented response declares for `status` (or the operation's default) and `mediaType`. */
export function responseSchema(doc: OpenAPIV3_1.Document, method: string, path: string, status: number, mediaType = 'application/json'): object {
  const op = doc.paths?.[path]?.[method.toLowerCase() as (typeof METHODS)[number]];
  if (!op) throw new Error(`${method} ${path} is not in the document`);
  const response = (op.responses[String(status)] ?? op.responses.default) as OpenAPIV3_1.ResponseObject | undefined;
  const schema = response?.content?.[mediaType]?.schema;
  if (!schema) throw new Error(`${method} ${path} documents no ${mediaType} schema for ${status}`);
  return schema;
}
