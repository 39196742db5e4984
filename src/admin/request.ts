import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { InvalidRequestError, UnsupportedMediaTypeError } from '../errors.js';
import { validationError } from '../http/request-body.js';

/**
 * The admin API takes JSON only. A request with no body is `{}` where the
 * route allows it (rotate's grace period has a default), else a 400.
 */
export function jsonBody(request: FastifyRequest, { optional = false } = {}): Record<string, unknown> {
  if (request.isMultipart()) throw new UnsupportedMediaTypeError('The admin API takes application/json bodies only.');
  const body = request.body;
  if (body === undefined && optional) return {};
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_json' });
  }
  return body as Record<string, unknown>;
}

/** Parses `input` or throws the 400 that names the first problem's param. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error, input);
  return parsed.data;
}
