import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditListSchema } from '../../src/admin/schemas.js';
import { adminClient, type AdminClient } from '../admin/support.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { startReceiver, type Receiver } from './receiver.js';
import { deliveriesOf, hookedKey, storedEvent, webhookYaml, webhooksDone } from './support.js';

/**
 * Signed webhooks end to end: Reelay with the memory store and a real
 * receiver on 127.0.0.1 (allow_private on), keys made through the admin API,
 * videos made with the official SDK, every webhook checked with the SDK's
 * `client.webhooks.unwrap`. Retries wait 1 s (jittered), attempts 300 ms.
 */

const sdk = new OpenAI({ apiKey: 'x' });
let receiver: Receiver;
let reelay: RunningReelay;
let admin: AdminClient;
/** Every webhook secret minted here, for the grep at the end. */
const webhookSecrets: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  reelay = await startReelay({ yaml: webhookYaml({ webhooks: '  allow_private: true\n  retry_schedule_s: [1]\n  timeout_ms: 300' }) });
  admin = adminClient(reelay);
});
afterAll(async () => {
  await reelay?.close();
  await receiver?.close();
});

/** A key whose webhooks go to `path`, and a video made with it. */
async function videoFor(name: string, path: string, prompt = 'a calico cat on a windowsill') {
  const key = await hookedKey(admin, name, receiver.url(path));
  webhookSecrets.push(key.webhookSecret);
  const video = await reelay.client(key.secret).videos.create({ prompt });
  return { key, video };
}

describe('signed webhooks', () => {
  it('delivers video.completed, exactly as stored, signed with the secret the admin API showed', async () => {
    const { key, video } = await videoFor('completed', '/completed');
    const [hook] = await receiver.arrived('/completed', 1);
    const event = await storedEvent(reelay, video.id);
    expect(hook!.body).toBe(JSON.stringify(event));
    expect(await sdk.webhooks.unwrap(hook!.body, hook!.headers as Record<string, string>, key.webhookSecret)).toEqual({
      id: event.id,
      object: 'event',
      created_at: expect.any(Number),
      type: 'video.completed',
      data: { id: video.id },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(hook!.headers['webhook-id']).toBe(event.id);
    await webhooksDone(reelay, video.id);
    expect(await deliveriesOf(admin, event.id)).toEqual([
      { event_id: event.id, video_id: video.id, key_id: key.id, url: receiver.url('/completed'), attempts: 1, status: 'delivered', last_status_code: 200, last_error: null, next_attempt_at: null },
    ]);
  });

  it('delivers video.failed for a job that fails', async () => {
    const { key, video } = await videoFor('failing', '/failed', 'please [fail]');
    const [hook] = await receiver.arrived('/failed', 1);
    const event = await sdk.webhooks.unwrap(hook!.body, hook!.headers as Record<string, string>, key.webhookSecret);
    expect(event).toMatchObject({ type: 'video.failed', data: { id: video.id } });
  });

  it('retries a receiver that fails twice, and the third attempt carries the same webhook-id', async () => {
    receiver.answer('/flaky', [{ status: 500 }, { status: 503 }, { status: 200 }]);
    const { key, video } = await videoFor('flaky', '/flaky');
    const hooks = await receiver.arrived('/flaky', 3);
    const event = await storedEvent(reelay, video.id);
    expect(hooks.map((h) => h.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    for (const h of hooks) expect(await sdk.webhooks.unwrap(h.body, h.headers as Record<string, string>, key.webhookSecret)).toMatchObject({ id: event.id });
    await webhooksDone(reelay, video.id);
    expect(receiver.received('/flaky')).toHaveLength(3);
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ attempts: 3, status: 'delivered', last_status_code: 200 }]);
  });

  it('stops at 410: one attempt, status failed', async () => {
    receiver.answer('/gone', [{ status: 410 }, { status: 200 }]);
    const { video } = await videoFor('gone', '/gone');
    await webhooksDone(reelay, video.id);
    expect(receiver.received('/gone')).toHaveLength(1);
    const event = await storedEvent(reelay, video.id);
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ attempts: 1, status: 'failed', last_status_code: 410, next_attempt_at: null }]);
  });

  it('does not follow a redirect: the 3xx is a failed attempt, retried at the same URL', async () => {
    receiver.answer('/moved', [{ status: 302, headers: { location: receiver.url('/moved-to') } }, { status: 200 }]);
    const { video } = await videoFor('moved', '/moved');
    await webhooksDone(reelay, video.id);
    expect(receiver.received('/moved')).toHaveLength(2);
    expect(receiver.received('/moved-to')).toEqual([]);
    const event = await storedEvent(reelay, video.id);
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ attempts: 2, status: 'delivered' }]);
  });

  it('retries an attempt that timed out', async () => {
    receiver.answer('/slow', [{ status: 200, delayMs: 3_000 }, { status: 200 }]);
    const { video } = await videoFor('slow', '/slow');
    await webhooksDone(reelay, video.id);
    const event = await storedEvent(reelay, video.id);
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ attempts: 2, status: 'delivered', last_status_code: 200 }]);
    expect(receiver.received('/slow').map((h) => h.headers['webhook-id'])).toEqual([event.id, event.id]);
  });

  it('lists deliveries by key and status, newest first, and redelivers one on request, with an audit entry', async () => {
    const { key, video } = await videoFor('redeliver', '/again');
    await webhooksDone(reelay, video.id);
    const event = await storedEvent(reelay, video.id);
    const mine = await deliveriesOf(admin, event.id, `&key=${key.id}`);
    expect(mine).toMatchObject([{ status: 'delivered', attempts: 1 }]);
    expect((await deliveriesOf(admin, event.id, '&status=failed'))).toEqual([]);
    const listed = (await admin.request('GET', '/webhooks/deliveries')).json.data as Array<{ event_id: string }>;
    expect(listed[0]!.event_id).toBe(event.id);

    const redelivered = await admin.request('POST', `/webhooks/deliveries/${event.id}/redeliver`);
    expect(redelivered.status).toBe(200);
    expect(redelivered.json).toMatchObject({ object: 'list', data: [{ event_id: event.id, status: 'pending', attempts: 1 }] });
    const hooks = await receiver.arrived('/again', 2);
    expect(hooks.map((h) => h.headers['webhook-id'])).toEqual([event.id, event.id]);
    await webhooksDone(reelay, video.id);
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ status: 'delivered', attempts: 2 }]);

    const audit = AuditListSchema.parse((await admin.request('GET', '/audit?limit=5')).json).data;
    expect(audit[0]).toMatchObject({ action: 'webhook.redeliver', actor: 'root', key_id: key.id, changes: { event_id: event.id, video_id: video.id, deliveries: 1 } });
  });

  it('will not redeliver while the job is leased (an attempt may be in flight): 409, then fine once the lease is back', async () => {
    const { video } = await videoFor('leased', '/leased');
    await webhooksDone(reelay, video.id);
    const event = await storedEvent(reelay, video.id);
    const lease = await reelay.runtime.schedule.claim(video.id, { now: Date.now(), leaseMs: 60_000, minIntervalMs: 0 });
    expect(lease.kind).toBe('claimed');
    const busy = await admin.request('POST', `/webhooks/deliveries/${event.id}/redeliver`);
    expect([busy.status, busy.json.error.code]).toEqual([409, 'delivery_in_progress']);
    await reelay.runtime.schedule.release(video.id, (lease as { token: string }).token, { dueAt: Date.now() + 60_000, intervalMs: 100 });
    expect((await admin.request('POST', `/webhooks/deliveries/${event.id}/redeliver`)).status).toBe(200);
    await receiver.arrived('/leased', 2);
  });

  it('answers redeliver of an unknown or malformed event 404, and a bad filter 400, in the envelope', async () => {
    const unknown = await admin.request('POST', '/webhooks/deliveries/evt_0000000000000000000000000000/redeliver');
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'delivery_not_found']);
    const malformed = await admin.request('POST', '/webhooks/deliveries/nope/redeliver');
    expect([malformed.status, malformed.json.error.code]).toEqual([404, 'delivery_not_found']);
    const withBody = await admin.request('POST', '/webhooks/deliveries/evt_0000000000000000000000000000/redeliver', { force: true });
    expect([withBody.status, withBody.json.error.param]).toEqual([400, 'force']);
    const badStatus = await admin.request('GET', '/webhooks/deliveries?status=lost');
    expect([badStatus.status, badStatus.json.error.param]).toEqual([400, 'status']);
    const badLimit = await admin.request('GET', '/webhooks/deliveries?limit=0');
    expect([badLimit.status, badLimit.json.error.param]).toEqual([400, 'limit']);
    const clientKey = await admin.request('GET', '/webhooks/deliveries', undefined, 'sk-test-alice-0123456789');
    expect(clientKey.status).toBe(401);
  });

  it('shows a webhook secret only in the response that set the webhook_url: never in another response, the audit log or a log line', async () => {
    // A key given its webhook_url by an update; then every read and change there is.
    const plain = await admin.request('POST', '/keys', { name: 'patched' });
    expect(plain.json.webhook_secret).toBeUndefined();
    const patched = await admin.request('PATCH', `/keys/${plain.json.id}`, { webhook_url: receiver.url('/patched') });
    expect(patched.json.webhook_secret).toMatch(/^whsec_/);
    webhookSecrets.push(patched.json.webhook_secret);
    const moved = await admin.request('PATCH', `/keys/${plain.json.id}`, { webhook_url: receiver.url('/patched-2'), rpm: 9 });
    expect(moved.json.webhook_secret).toBeUndefined();
    await admin.request('GET', `/keys/${plain.json.id}`);
    await admin.request('GET', '/keys?limit=100');
    await admin.request('POST', `/keys/${plain.json.id}/rotate`, { grace_seconds: 0 });
    await admin.request('GET', '/audit?limit=100');
    await admin.request('GET', '/webhooks/deliveries?limit=100');

    expect(webhookSecrets.length).toBeGreaterThanOrEqual(8);
    const logs = reelay.logs.join('\n');
    for (const secret of webhookSecrets) {
      expect(admin.texts.filter((t) => t.includes(secret)), 'responses showing the secret').toHaveLength(1);
      expect(logs).not.toContain(secret);
      // Nor its base64 body alone, in any framing.
      expect(logs).not.toContain(secret.slice('whsec_'.length, -1));
    }
    const audit = JSON.stringify((await admin.request('GET', '/audit?limit=100')).json);
    for (const secret of webhookSecrets) expect(audit).not.toContain(secret.slice('whsec_'.length, -1));
  });
});

describe('a retrieve that sees the video finish', () => {
  let slow: RunningReelay | undefined;
  afterAll(() => slow?.close());

  it('answers without waiting for the webhook: settlement runs in the request, the delivery in the background', async () => {
    // The background poller never polls a running job here (initial_ms is an hour): only retrieves see it finish.
    slow = await startReelay({
      yaml: webhookYaml({ webhooks: '  allow_private: true\n  timeout_ms: 10000' }).replace(/poll:\n(?: {2}.*\n)+/, 'poll:\n  initial_ms: 3600000\n  stale_ms: 0\n  min_interval_ms: 0\n'),
    });
    receiver.answer('/held', [{ status: 200, delayMs: 2_000 }]);
    const key = await hookedKey(adminClient(slow), 'held', receiver.url('/held'));
    const client = slow.client(key.secret);
    const { id } = await client.videos.create({ prompt: 'finish while a client asks' });
    let video = await client.videos.retrieve(id);
    while (video.status !== 'completed') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      video = await client.videos.retrieve(id);
    }

    // The webhook is still to come (its receiver holds every answer 2 s), yet the budget is already settled.
    const record = (await slow.runtime.store.get(id))!;
    expect(Object.keys(record.outbox!.pending)).toEqual(['webhooks']);
    const [hook] = await receiver.arrived('/held', 1);
    expect(await sdk.webhooks.unwrap(hook!.body, hook!.headers as Record<string, string>, key.webhookSecret)).toMatchObject({ data: { id } });
    await webhooksDone(slow, id);
  });
});
