import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../admin/support.js';
import { TEST_KEY, startReelay, type RunningReelay } from '../helpers/reelay.js';
import { mintWebhookSecret } from '../../src/webhooks/secret.js';
import { startReceiver, type Receiver } from './receiver.js';
import { deliveriesOf, hookedKey, storedEvent, webhookYaml, webhooksDone } from './support.js';

/**
 * The global target: with webhooks.url and webhooks.secret every key's events
 * also go there, signed with the global secret; a config key has its own
 * webhook_secret; one URL named twice is one delivery carrying both signatures.
 */

const sdk = new OpenAI({ apiKey: 'x' });
const GLOBAL_SECRET = mintWebhookSecret();
const CONFIG_SECRET = mintWebhookSecret();
const SHARED_KEY = 'sk-test-shared-url-000001';
let receiver: Receiver;
let reelay: RunningReelay;
let admin: AdminClient;

beforeAll(async () => {
  receiver = await startReceiver();
  const keys = [
    `  - name: alice\n    key: ${TEST_KEY}`,
    `  - name: own\n    key: sk-test-own-secret-000001\n    webhook_url: ${receiver.url('/own')}\n    webhook_secret: ${CONFIG_SECRET}`,
    `  - name: shared\n    key: ${SHARED_KEY}\n    webhook_url: ${receiver.url('/all')}\n    webhook_secret: ${CONFIG_SECRET}`,
  ].join('\n');
  reelay = await startReelay({
    yaml: webhookYaml({ keys, webhooks: `  url: ${receiver.url('/all')}\n  secret: ${GLOBAL_SECRET}\n  allow_private: true\n  retry_schedule_s: [1]` }),
  });
  admin = adminClient(reelay);
});
afterAll(async () => {
  await reelay?.close();
  await receiver?.close();
});

const unwrap = (h: { body: string; headers: object }, secret: string) => sdk.webhooks.unwrap(h.body, h.headers as Record<string, string>, secret);
const forVideo = (path: string, videoId: string) => receiver.received(path).filter((h) => (JSON.parse(h.body) as { data: { id: string } }).data.id === videoId);

describe('the global webhook target', () => {
  it("receives a config key's events, signed with the global secret", async () => {
    const video = await reelay.client(TEST_KEY).videos.create({ prompt: 'a cat' });
    await webhooksDone(reelay, video.id);
    const [hook] = forVideo('/all', video.id);
    expect(await unwrap(hook!, GLOBAL_SECRET)).toMatchObject({ type: 'video.completed', data: { id: video.id } });
    await expect(unwrap(hook!, CONFIG_SECRET)).rejects.toBeInstanceOf(OpenAI.InvalidWebhookSignatureError);
  });

  it("receives an API key's events too, beside the key's own URL, each signed with its own secret", async () => {
    const key = await hookedKey(admin, 'api', receiver.url('/api'));
    const video = await reelay.client(key.secret).videos.create({ prompt: 'a dog' });
    await webhooksDone(reelay, video.id);
    expect(await unwrap(forVideo('/api', video.id)[0]!, key.webhookSecret)).toMatchObject({ data: { id: video.id } });
    expect(await unwrap(forVideo('/all', video.id)[0]!, GLOBAL_SECRET)).toMatchObject({ data: { id: video.id } });
    const event = await storedEvent(reelay, video.id);
    expect((await deliveriesOf(admin, event.id)).map((d) => [d.url, d.status])).toEqual(
      expect.arrayContaining([
        [receiver.url('/api'), 'delivered'],
        [receiver.url('/all'), 'delivered'],
      ]),
    );
  });

  it("signs a config key's own URL with its webhook_secret", async () => {
    const video = await reelay.client('sk-test-own-secret-000001').videos.create({ prompt: 'a bird' });
    await webhooksDone(reelay, video.id);
    expect(await unwrap(forVideo('/own', video.id)[0]!, CONFIG_SECRET)).toMatchObject({ data: { id: video.id } });
  });

  it('sends one delivery to a URL that is both the key\'s and the global one, verifiable with either secret', async () => {
    const video = await reelay.client(SHARED_KEY).videos.create({ prompt: 'a fish' });
    await webhooksDone(reelay, video.id);
    const hooks = forVideo('/all', video.id);
    expect(hooks).toHaveLength(1);
    for (const secret of [CONFIG_SECRET, GLOBAL_SECRET]) expect(await unwrap(hooks[0]!, secret)).toMatchObject({ data: { id: video.id } });
    expect(await deliveriesOf(admin, (await storedEvent(reelay, video.id)).id)).toHaveLength(1);
  });

  it('never shows or logs a configured secret', async () => {
    await admin.request('GET', '/keys?limit=100');
    await admin.request('GET', '/webhooks/deliveries?limit=100');
    const logs = [...reelay.logs, ...admin.texts].join('\n');
    for (const secret of [GLOBAL_SECRET, CONFIG_SECRET]) expect(logs).not.toContain(secret.slice('whsec_'.length, -1));
  });
});
