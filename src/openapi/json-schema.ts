import { z } from 'zod';

/**
 * zod → JSON Schema for the OpenAPI document, with zod's own converter.
 * OpenAPI 3.1's schema dialect is JSON Schema 2020-12, so the output is used
 * as it is, minus its `$schema` (the document declares the dialect once).
 * `io` picks the side of a schema with defaults or transforms: what a client
 * sends (`input`: `limit` is a string of digits) or what Reelay answers
 * (`output`).
 */
export type SchemaSide = 'input' | 'output';

export function toJsonSchema(schema: z.ZodType, io: SchemaSide): Record<string, unknown> {
  // unrepresentable: 'throw' (the default): a schema the document cannot describe fails the build, not a client.
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as Record<string, unknown>;
  return json;
}

/**
 * Replaces every zod schema found in `value` (a route's `body`, `querystring`
 * or `response` slot, possibly nested in `{ content: { [type]: { schema } } }`)
 * by its JSON Schema; everything else is copied as it is.
 */
export function convertSlot(value: unknown, io: SchemaSide): unknown {
  if (value instanceof z.ZodType) return toJsonSchema(value, io);
  if (Array.isArray(value)) return value.map((v) => convertSlot(v, io));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertSlot(v, io)]));
  }
  return value;
}
