import type { FastifyInstance } from 'fastify';
import { deliveryNotFound } from '../webhooks/admin.js';
import type { Delivery } from '../webhooks/delivery-store.js';
import { auditContext } from './auth.js';
import type { AdminDeps } from './plugin.js';
import { jsonBody, parseInput } from './request.js';
import { DeliveryListQuerySchema, RedeliverBodySchema, type WebhookDelivery, type WebhookDeliveryList } from './schemas.js';

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
  app.get('/webhooks/deliveries', async (request): Promise<WebhookDeliveryList> => {
    const { key, status, limit } = parseInput(DeliveryListQuerySchema, request.query);
    return list(await webhooks.list({ keyId: key, status, limit }));
  });

  app.post<EventParams>('/webhooks/deliveries/:event_id/redeliver', async (request): Promise<WebhookDeliveryList> => {
    const { event_id: eventId } = request.params;
    parseInput(RedeliverBodySchema, jsonBody(request, { optional: true }));
    if (!EVENT_ID.test(eventId)) throw deliveryNotFound(eventId);
    return list(await webhooks.redeliver(eventId, auditContext(request)));
  });
}
