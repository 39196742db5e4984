import type { FastifyInstance } from 'fastify';
import { auditContext } from './auth.js';
import { toGatewayKey } from './key-view.js';
import type { AdminDeps } from './plugin.js';
import { jsonBody, parseInput } from './request.js';
import {
  KeyCreateBodySchema,
  KeyListQuerySchema,
  KeyRotateBodySchema,
  KeyUpdateBodySchema,
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
  app.post('/keys', async (request, reply) => {
    const body = parseInput(KeyCreateBodySchema, jsonBody(request));
    const { key, secret, webhookSecret } = await keys.create(body, auditContext(request));
    return reply.code(201).send({ ...toGatewayKey(key), secret, ...withWebhookSecret(webhookSecret) } satisfies GatewayKeyWithSecret);
  });

  app.get('/keys', async (request): Promise<GatewayKeyList> => {
    const query = parseInput(KeyListQuerySchema, request.query);
    const page = await keys.list(query);
    const data = page.data.map(toGatewayKey);
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore };
  });

  app.get<IdParams>('/keys/:id', async (request): Promise<GatewayKey> => toGatewayKey(await keys.get(request.params.id)));

  app.patch<IdParams>('/keys/:id', async (request): Promise<GatewayKeyUpdated> => {
    const body = parseInput(KeyUpdateBodySchema, jsonBody(request));
    const { key, webhookSecret } = await keys.update(request.params.id, body, auditContext(request));
    return { ...toGatewayKey(key), ...withWebhookSecret(webhookSecret) };
  });

  app.post<IdParams>('/keys/:id/rotate', async (request): Promise<GatewayKeyWithSecret> => {
    const { grace_seconds } = parseInput(KeyRotateBodySchema, jsonBody(request, { optional: true }));
    const { key, secret, previousSecretExpiresAt } = await keys.rotate(request.params.id, grace_seconds, auditContext(request));
    return { ...toGatewayKey(key), secret, previous_secret_expires_at: Math.floor(previousSecretExpiresAt / 1000) };
  });

  app.delete<IdParams>('/keys/:id', async (request): Promise<GatewayKeyDeleted> => {
    await keys.revoke(request.params.id, auditContext(request));
    return { id: request.params.id, object: 'gateway.key.deleted', deleted: true };
  });
}
