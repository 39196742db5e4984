import { expect } from 'vitest';
import { WebhookDeliveryListSchema, type WebhookDelivery } from '../../src/admin/schemas.js';
import type { VideoEvent } from '../../src/events/event.js';
import { adminBlock } from '../admin/support.js';
import type { AdminClient } from '../admin/support.js';
import { eventually, sandboxYaml, type RunningReelay } from '../helpers/reelay.js';

/** Config, waits and admin calls the webhook end-to-end tests share. */

export interface WebhookYamlOptions {
  /** The `webhooks:` block's lines, indented by two spaces. */
  webhooks?: string;
  keys?: string;
  store?: string;
}

/** Sandbox jobs of 0.2 s polled every 100 ms, the admin key, and the given webhooks block. */
export const webhookYaml = (o: WebhookYamlOptions = {}): string =>
  `${sandboxYaml({
    generationSeconds: 0.2,
    poll: '  initial_ms: 100\n  max_ms: 200\n  stale_ms: 0\n  min_interval_ms: 0',
    ...(o.keys === undefined ? {} : { keys: o.keys }),
    ...(o.store === undefined ? {} : { store: o.store }),
  })}${adminBlock()}webhooks:\n${o.webhooks ?? '  allow_private: true'}\n`;

/** The stored record once its webhooks handler has finished with its event (nothing more will be sent). */
export async function webhooksDone(reelay: RunningReelay, videoId: string, timeoutMs = 15_000) {
  return eventually(
    async () => {
      const record = await reelay.runtime.store.get(videoId);
      return record?.outbox && !('webhooks' in record.outbox.pending) ? record : undefined;
    },
    { timeoutMs },
  );
}

/** The video's lifecycle event, as stored by its terminal write. */
export async function storedEvent(reelay: RunningReelay, videoId: string): Promise<VideoEvent> {
  return eventually(async () => (await reelay.runtime.store.get(videoId))?.outbox?.event);
}

/** GET /admin/v1/webhooks/deliveries, checked against its schema. */
export async function deliveries(admin: AdminClient, query = ''): Promise<WebhookDelivery[]> {
  const res = await admin.request('GET', `/webhooks/deliveries${query}`);
  expect(res.status).toBe(200);
  return WebhookDeliveryListSchema.parse(res.json).data;
}

/** The deliveries of one event. */
export const deliveriesOf = async (admin: AdminClient, eventId: string, query = ''): Promise<WebhookDelivery[]> =>
  (await deliveries(admin, `?limit=100${query}`)).filter((d) => d.event_id === eventId);

/** A key made through the admin API with a webhook_url: its secret, id and the webhook secret shown once. */
export async function hookedKey(admin: AdminClient, name: string, webhookUrl: string): Promise<{ id: string; secret: string; webhookSecret: string }> {
  const res = await admin.request('POST', '/keys', { name, webhook_url: webhookUrl });
  expect(res.status).toBe(201);
  expect(res.json.webhook_secret).toMatch(/^whsec_/);
  return { id: res.json.id, secret: res.json.secret, webhookSecret: res.json.webhook_secret };
}
