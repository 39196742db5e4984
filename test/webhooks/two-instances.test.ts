import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../admin/support.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { useRedisServer } from '../helpers/redis-suite.js';
import { redisStore } from '../helpers/shared-state.js';
import { startReceiver, type Receiver } from './receiver.js';
import { deliveriesOf, hookedKey, storedEvent, webhookYaml, webhooksDone } from './support.js';

/**
 * Two Reelay instances on one Redis, both polling: each event is delivered
 * once per attempt (the job's poll lease), and the delivery state outlives
 * every instance that worked on it.
 */

const sdk = new OpenAI({ apiKey: 'x' });
let redis: Redis;
useRedisServer((r) => (redis = r));
let receiver: Receiver;
let yaml: string;
let a: RunningReelay;
let b: RunningReelay;
let admin: AdminClient;

beforeAll(async () => {
  receiver = await startReceiver();
  yaml = webhookYaml({ store: redisStore(`redis://127.0.0.1:${redis.options.port}`, uniquePrefix('webhooks-two')), webhooks: '  allow_private: true\n  retry_schedule_s: [1]' });
  [a, b] = await Promise.all([startReelay({ yaml }), startReelay({ yaml })]);
  admin = adminClient(a);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await receiver?.close();
});

describe('two instances, one event', () => {
  it('deliver it exactly once', async () => {
    const key = await hookedKey(admin, 'once', receiver.url('/once'));
    const video = await b.client(key.secret).videos.create({ prompt: 'one event' });
    await webhooksDone(a, video.id);
    const hooks = receiver.received('/once');
    expect(hooks).toHaveLength(1);
    expect(await sdk.webhooks.unwrap(hooks[0]!.body, hooks[0]!.headers as Record<string, string>, key.webhookSecret)).toMatchObject({ data: { id: video.id } });
    const event = await storedEvent(b, video.id);
    expect(await deliveriesOf(adminClient(b), event.id)).toMatchObject([{ attempts: 1, status: 'delivered' }]);
  });

  it('make each retry once: two failures and a success are three requests in all', async () => {
    receiver.answer('/retried', [{ status: 500 }, { status: 500 }, { status: 200 }]);
    const key = await hookedKey(admin, 'retried', receiver.url('/retried'));
    const video = await a.client(key.secret).videos.create({ prompt: 'three attempts' });
    await webhooksDone(b, video.id);
    const event = await storedEvent(a, video.id);
    expect(receiver.received('/retried').map((h) => h.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ attempts: 3, status: 'delivered' }]);
  });

  it('lose nothing when every instance stops: a fresh one makes the next attempt', async () => {
    receiver.answer('/outlived', [{ status: 503 }, { status: 200 }]);
    const key = await hookedKey(admin, 'outlived', receiver.url('/outlived'));
    const video = await a.client(key.secret).videos.create({ prompt: 'outlive us' });
    await receiver.arrived('/outlived', 1);
    await Promise.all([a.close(), b.close()]);
    const c = await startReelay({ yaml });
    try {
      const hooks = await receiver.arrived('/outlived', 2);
      const event = await storedEvent(c, video.id);
      expect(hooks.map((h) => h.headers['webhook-id'])).toEqual([event.id, event.id]);
      await webhooksDone(c, video.id);
      expect(await deliveriesOf(adminClient(c), event.id)).toMatchObject([{ attempts: 2, status: 'delivered', last_status_code: 200 }]);
    } finally {
      await c.close();
    }
  });
});
