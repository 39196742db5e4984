import type { FastifyInstance } from 'fastify';
import { auditContext } from './auth.js';
import { toGatewayKey } from './key-view.js';
import type { AdminDeps } from './plugin.js';
import { documented } from '../openapi/route-docs.js';
import { jsonBody, parseInput } from './request.js';
import {
  KeyCreateBodySchema,
  KeyListQuerySchema,
  KeyRotateBodySchema,
  KeyUpdateBodySchema,
  GatewayKeyDeletedSchema,
  GatewayKeyListSchema,
  GatewayKeySchema,
  GatewayKeyUpdatedSchema,
  GatewayKeyWithSecretSchema,
  type GatewayKey,
  type GatewayKeyDeleted,
  type GatewayKeyList,
  type GatewayKeyUpdated,
  type GatewayKeyWithSecret,
} from './schemas.js';

type IdParams = { Params: { id: string } };

/** The webhook secret goes on the wire only in the answer that minted it. */
const withWebhookSecret = (secret: string | undefined) => (secret === undefined ? {} : { webhook_secret: secret });

/**
 * `/admin/v1/keys`: gateway keys as data. A secret is in the create and rotate
 * answers only; a webhook secret only in the create or update that set the key's webhook_url.
 */
export async function keysRoutes(app: FastifyInstance, { keys }: AdminDeps): Promise<void> {
  const tags = ['admin'];
  const withSecret = GatewayKeyWithSecretSchema.describe('The key and its new secret, shown this once.');

  const createDocs = documented({ operationId: 'adminCreateKey', summary: 'Create a gateway key', tags, body: KeyCreateBodySchema, response: { 201: withSecret }, errors: [400, 409, 415] });
  app.post('/keys', createDocs, async (request, reply) => {
    const body = parseInput(KeyCreateBodySchema, jsonBody(request));
    const { key, secret, webhookSecret } = await keys.create(body, auditContext(request));
    return reply.code(201).send({ ...toGatewayKey(key), secret, ...withWebhookSecret(webhookSecret) } satisfies GatewayKeyWithSecret);
  });

  const listDocs = documented({ operationId: 'adminListKeys', summary: 'List gateway keys', tags, querystring: KeyListQuerySchema, response: { 200: GatewayKeyListSchema.describe('A page of keys.') }, errors: [400] });
  app.get('/keys', listDocs, async (request): Promise<GatewayKeyList> => {
    const query = parseInput(KeyListQuerySchema, request.query);
    const page = await keys.list(query);
    const data = page.data.map(toGatewayKey);
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore };
  });

  const getDocs = documented({ operationId: 'adminRetrieveKey', summary: 'Retrieve a gateway key', tags, response: { 200: GatewayKeySchema.describe('The key; never its secret.') }, errors: [404] });
  app.get<IdParams>('/keys/:id', getDocs, async (request): Promise<GatewayKey> => toGatewayKey(await keys.get(request.params.id)));

  const updateDocs = documented({
    operationId: 'adminUpdateKey',
    summary: 'Change a gateway key (null clears a setting)',
    tags,
    body: KeyUpdateBodySchema,
    response: { 200: GatewayKeyUpdatedSchema.describe('The key, plus its webhook secret when this update minted one.') },
    errors: [400, 404, 409, 415],
  });
  app.patch<IdParams>('/keys/:id', updateDocs, async (request): Promise<GatewayKeyUpdated> => {
    const body = parseInput(KeyUpdateBodySchema, jsonBody(request));
    const { key, webhookSecret } = await keys.update(request.params.id, body, auditContext(request));
    return { ...toGatewayKey(key), ...withWebhookSecret(webhookSecret) };
  });

  const rotateDocs = documented({
    operationId: 'adminRotateKey',
    summary: "Rotate a gateway key's secret",
    description: 'The previous secret keeps working for `grace_seconds` (default one day).',
    tags,
    body: KeyRotateBodySchema,
    bodyOptional: true,
    response: { 200: withSecret },
    errors: [400, 404, 409, 415],
  });
  app.post<IdParams>('/keys/:id/rotate', rotateDocs, async (request): Promise<GatewayKeyWithSecret> => {
    const { grace_seconds } = parseInput(KeyRotateBodySchema, jsonBody(request, { optional: true }));
    const { key, secret, previousSecretExpiresAt } = await keys.rotate(request.params.id, grace_seconds, auditContext(request));
    return { ...toGatewayKey(key), secret, previous_secret_expires_at: Math.floor(previousSecretExpiresAt / 1000) };
  });

  const deleteDocs = documented({ operationId: 'adminRevokeKey', summary: 'Revoke a gateway key', tags, response: { 200: GatewayKeyDeletedSchema.describe('The key is revoked.') }, errors: [404, 409] });
  app.delete<IdParams>('/keys/:id', deleteDocs, async (request): Promise<GatewayKeyDeleted> => {
    await keys.revoke(request.params.id, auditContext(request));
    return { id: request.params.id, object: 'gateway.key.deleted', deleted: true };
  });
}
