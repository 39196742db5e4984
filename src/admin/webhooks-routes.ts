import type { FastifyInstance } from 'fastify';
import { deliveryNotFound } from '../webhooks/admin.js';
import type { Delivery } from '../webhooks/delivery-store.js';
import { auditContext } from './auth.js';
import type { AdminDeps } from './plugin.js';
import { documented } from '../openapi/route-docs.js';
import { jsonBody, parseInput } from './request.js';
import { DeliveryListQuerySchema, RedeliverBodySchema, WebhookDeliveryListSchema, type WebhookDelivery, type WebhookDeliveryList } from './schemas.js';

type EventParams = { Params: { event_id: string } };

/** `evt_` + 28 hex digits (src/events/event.ts); anything else is unknown without a lookup. */
const EVENT_ID = /^evt_[0-9a-f]{28}$/;

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

/** A delivery on the wire: snake_case, unix seconds. */
const toWire = (d: Delivery): WebhookDelivery => ({
  event_id: d.eventId,
  video_id: d.videoId,
  key_id: d.keyId,
  url: d.url,
  attempts: d.attempts,
  status: d.status,
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  next_attempt_at: seconds(d.nextAttemptAt),
});

const list = (deliveries: readonly Delivery[]): WebhookDeliveryList => ({ object: 'list', data: deliveries.map(toWire) });

/**
 * `/admin/v1/webhooks/deliveries`: recent webhook deliveries (by key, by
 * status), and redelivery of an event's deliveries, recorded in the audit log.
 */
export async function webhooksRoutes(app: FastifyInstance, { webhooks }: AdminDeps): Promise<void> {
  const tags = ['admin'];
  const listDocs = documented({
    operationId: 'adminListWebhookDeliveries',
    summary: 'Recent webhook deliveries',
    tags,
    querystring: DeliveryListQuerySchema,
    response: { 200: WebhookDeliveryListSchema.describe('The most recently updated deliveries first.') },
    errors: [400],
  });
  app.get('/webhooks/deliveries', listDocs, async (request): Promise<WebhookDeliveryList> => {
    const { key, status, limit } = parseInput(DeliveryListQuerySchema, request.query);
    return list(await webhooks.list({ keyId: key, status, limit }));
  });

  const redeliverDocs = documented({
    operationId: 'adminRedeliverWebhook',
    summary: "Deliver an event's webhooks again",
    tags,
    body: RedeliverBodySchema,
    bodyOptional: true,
    response: { 200: WebhookDeliveryListSchema.describe("The event's deliveries, queued again.") },
    errors: [400, 404, 415],
  });
  app.post<EventParams>('/webhooks/deliveries/:event_id/redeliver', redeliverDocs, async (request): Promise<WebhookDeliveryList> => {
    const { event_id: eventId } = request.params;
    parseInput(RedeliverBodySchema, jsonBody(request, { optional: true }));
    if (!EVENT_ID.test(eventId)) throw deliveryNotFound(eventId);
    return list(await webhooks.redeliver(eventId, auditContext(request)));
  });
}
