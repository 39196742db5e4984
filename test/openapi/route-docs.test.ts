import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { documented } from '../../src/openapi/route-docs.js';

/**
 * documented() attaches schemas for the document only: Fastify neither
 * validates (nor coerces) with them nor serialises through them, so a
 * handler's own zod parsing and its exact output are what a client gets.
 */

const Body = z.strictObject({ n: z.number().int() });
const Reply = z.strictObject({ kept: z.string() });
const app = Fastify();

beforeAll(async () => {
  const docs = documented({ operationId: 'probe', summary: 'probe', tags: ['t'], querystring: z.object({ limit: z.string().regex(/^\d+$/) }), body: Body, response: { 200: Reply } });
  app.post('/probe', docs, async (request) => ({ kept: 'yes', extra: { body: request.body, query: request.query }, n: 1.5 }));
  await app.ready();
});
afterAll(() => app.close());

describe('documented()', () => {
  it('lets a body and a query the schemas refuse reach the handler untouched', async () => {
    const res = await app.inject({ method: 'POST', url: '/probe?limit=0x10', payload: { n: '7', other: true } });
    expect(res.statusCode).toBe(200);
    expect(res.json().extra).toEqual({ body: { n: '7', other: true }, query: { limit: '0x10' } });
  });

  it('serialises the reply as JSON.stringify does: no field the schema lacks is dropped, nothing is coerced', async () => {
    const res = await app.inject({ method: 'POST', url: '/probe', payload: { n: 1 } });
    expect(res.body).toBe(JSON.stringify({ kept: 'yes', extra: { body: { n: 1 }, query: {} }, n: 1.5 }));
  });

  it('keeps the zod schemas on the route for the document', () => {
    const docs = documented({ operationId: 'x', summary: 'x', tags: ['t'], response: { 200: Reply }, errors: [404] });
    expect(docs.schema).toMatchObject({ operationId: 'x', response: { 200: Reply } });
    expect((docs.schema as { response: Record<string, unknown> }).response[404]).toBeInstanceOf(z.ZodType);
  });
});
