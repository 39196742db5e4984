import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, adminClient, type AdminClient } from '../admin/support.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { startReceiver, type Receiver } from './receiver.js';
import { deliveriesOf, hookedKey, storedEvent, webhookYaml, webhooksDone } from './support.js';

/**
 * The SSRF guard as Reelay ships it (webhooks.allow_private off): a receiver
 * on loopback never hears from Reelay, whether the URL names the address or
 * a host that resolves to it. The delivery is `refused` and never retried.
 */

let receiver: Receiver;
let reelay: RunningReelay;
let admin: AdminClient;

beforeAll(async () => {
  receiver = await startReceiver();
  reelay = await startReelay({ yaml: webhookYaml({ webhooks: '  retry_schedule_s: [1]' }) });
  admin = adminClient(reelay);
});
afterAll(async () => {
  await reelay?.close();
  await receiver?.close();
});

describe('by default', () => {
  it.each([
    ['a loopback address', () => receiver.url('/literal')],
    ['a hostname that resolves to loopback', () => receiver.url('/named').replace('127.0.0.1', 'localhost')],
  ])('refuses %s: status refused, nothing sent, no retry', async (label, url) => {
    const key = await hookedKey(admin, label.replaceAll(' ', '-'), url());
    const video = await reelay.client(key.secret).videos.create({ prompt: 'a cat' });
    await webhooksDone(reelay, video.id);
    const event = await storedEvent(reelay, video.id);
    const [delivery] = await deliveriesOf(admin, event.id);
    expect(delivery).toMatchObject({ status: 'refused', attempts: 1, last_status_code: null, next_attempt_at: null });
    expect(delivery!.last_error).toMatch(/^refused: (127\.0\.0\.1|::1) is a loopback address/);
    expect(receiver.received()).toEqual([]);
  });

  it('counts refusals in /metrics', async () => {
    const text = await (await fetch(`${reelay.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
    expect(text).toContain('reelay_webhook_deliveries_total{outcome="refused"} 2');
  });
});
