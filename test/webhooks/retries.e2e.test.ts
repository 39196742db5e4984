import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, type AdminClient } from '../admin/support.js';
import { manualClock } from '../helpers/manual-clock.js';
import { eventually, startReelay, type RunningReelay } from '../helpers/reelay.js';
import { startReceiver, type Receiver } from './receiver.js';
import { deliveriesOf, hookedKey, storedEvent, webhookYaml, webhooksDone } from './support.js';

/**
 * The retry schedule on an injected clock: retry_schedule_s [5, 30, 3600]
 * (the last repeating), jittered by at most 20 %, for 24 h. The test moves
 * the clock to each planned attempt and awaits it; nothing waits on real time.
 */

const sdk = new OpenAI({ apiKey: 'x' });
const clock = manualClock(Date.now());
let receiver: Receiver;
let reelay: RunningReelay;
let admin: AdminClient;

beforeAll(async () => {
  receiver = await startReceiver();
  reelay = await startReelay({ clock, yaml: webhookYaml({ webhooks: '  allow_private: true\n  retry_schedule_s: [5, 30, 3600]' }) });
  admin = adminClient(reelay);
});
afterAll(async () => {
  await reelay?.close();
  await receiver?.close();
});

/** When the webhooks handler of this video plans its next attempt (ms, after now), or null once it has finished. */
const nextPlan = (videoId: string): Promise<number | null> =>
  eventually(async () => {
    const pending = (await reelay.runtime.store.get(videoId))?.outbox?.pending;
    if (!pending || !('webhooks' in pending)) return null;
    return pending.webhooks!.nextAt > clock.now() ? pending.webhooks!.nextAt : undefined;
  });

const plannedAttempt = async (videoId: string): Promise<number> => {
  const next = await nextPlan(videoId);
  if (next === null) throw new Error('the webhooks handler finished; no attempt is planned');
  return next;
};

/** A video made now, its job finished by moving the clock past its first poll, and its first attempt awaited. */
async function firstAttempt(path: string) {
  const key = await hookedKey(admin, path.slice(1), receiver.url(path));
  const video = await reelay.client(key.secret).videos.create({ prompt: 'a slow receiver' });
  clock.advance(1_000);
  await receiver.arrived(path, 1);
  return { key, video, firstAt: clock.now() };
}

describe('retries on the schedule', () => {
  it('retry a receiver that fails twice after about 5 s, then about 30 s; the third attempt delivers, same webhook-id', async () => {
    receiver.answer('/twice', [{ status: 500 }, { status: 500 }, { status: 200 }]);
    const { key, video, firstAt } = await firstAttempt('/twice');
    const second = await plannedAttempt(video.id);
    expect(second - firstAt).toBeGreaterThanOrEqual(4_000);
    expect(second - firstAt).toBeLessThanOrEqual(6_000);
    clock.set(second);
    await receiver.arrived('/twice', 2);
    const third = await plannedAttempt(video.id);
    expect(third - second).toBeGreaterThanOrEqual(24_000);
    expect(third - second).toBeLessThanOrEqual(36_000);
    clock.set(third);
    const hooks = await receiver.arrived('/twice', 3);
    await webhooksDone(reelay, video.id);

    const event = await storedEvent(reelay, video.id);
    expect(hooks.map((h) => [h.headers['webhook-id'], Number(h.headers['webhook-timestamp'])])).toEqual([
      [event.id, Math.floor(firstAt / 1000)],
      [event.id, Math.floor(second / 1000)],
      [event.id, Math.floor(third / 1000)],
    ]);
    // The clock is 36 s ahead of real time at most: inside the SDK's 5-minute tolerance.
    expect(await sdk.webhooks.unwrap(hooks[2]!.body, hooks[2]!.headers as Record<string, string>, key.webhookSecret)).toMatchObject({ id: event.id });
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ attempts: 3, status: 'delivered', last_status_code: 200 }]);
  });

  it('give up 24 h after the first attempt, with a last attempt at the window end: status failed', async () => {
    receiver.answer('/down', [{ status: 503 }]);
    const { video, firstAt } = await firstAttempt('/down');
    let attempts = 1;
    for (let next = await nextPlan(video.id); next !== null; next = await nextPlan(video.id)) {
      clock.set(next);
      await receiver.arrived('/down', ++attempts);
    }
    const hooks = receiver.received('/down');
    expect(hooks).toHaveLength(attempts);
    // 5 s, 30 s, then hourly (± 20 %) until the 24 h window closes: 24 to 30 attempts.
    expect(attempts).toBeGreaterThanOrEqual(24);
    expect(attempts).toBeLessThanOrEqual(30);
    expect(Number(hooks.at(-1)!.headers['webhook-timestamp'])).toBe(Math.floor((firstAt + 86_400_000) / 1000));
    const event = await storedEvent(reelay, video.id);
    expect(await deliveriesOf(admin, event.id)).toMatchObject([{ attempts, status: 'failed', last_status_code: 503, next_attempt_at: null }]);
  });
});
