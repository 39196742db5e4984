import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintEventId } from '../../src/events/event.js';
import type { DeliveryEvent, DeliveryStore, DeliveryTarget } from '../../src/webhooks/delivery-store.js';
import { LIST_SCAN_LIMIT } from '../../src/webhooks/delivery-store.js';
import { mintVideoId } from '../../src/videos/video-id.js';

/**
 * The behaviour every DeliveryStore shares (memory, Redis, Redis Cluster).
 * Each implementation's test file calls describeDeliveryStoreContract with a
 * factory; the suite never looks inside a store.
 */

export interface DeliveryStoreHarness {
  store: DeliveryStore;
  /** The store's clock; advancing it ages every delivery. */
  clock: { now(): number; advance(ms: number): void };
  cleanup(): Promise<void>;
}

export type DeliveryStoreFactory = (options: { retentionDays: number }) => Promise<DeliveryStoreHarness>;

const DAY_MS = 86_400_000;
const KEY = 'key_000000000000000000000001';
const OTHER_KEY = 'key_000000000000000000000002';

export const deliveryEvent = (now: number, keyId = KEY): DeliveryEvent => ({ eventId: mintEventId(now), videoId: mintVideoId(now), keyId });
const targets: DeliveryTarget[] = [
  { url: 'https://hooks.example.com/a?token=x', signers: ['key'] },
  { url: 'https://global.example.com/all', signers: ['global'] },
];

export function describeDeliveryStoreContract(name: string, factory: DeliveryStoreFactory): void {
  describe(`DeliveryStore contract: ${name}`, () => {
    let h: DeliveryStoreHarness;
    let store: DeliveryStore;
    beforeEach(async () => {
      h = await factory({ retentionDays: 2 });
      store = h.store;
    });
    afterEach(() => h.cleanup());

    it('opens an event once: pending, due now; a second open answers the first', async () => {
      const now = h.clock.now();
      const event = deliveryEvent(now);
      const opened = await store.open(event, targets, now);
      expect(opened).toEqual(
        targets.map((t, n) => ({
          ...event,
          ...t,
          id: `${event.eventId}:${n}`,
          status: 'pending',
          attempts: 0,
          lastStatusCode: null,
          lastError: null,
          nextAttemptAt: now,
          round: 1,
          roundStartedAt: now,
          roundAttempts: 0,
          createdAt: now,
          updatedAt: now,
        })),
      );
      expect(await store.open(event, [{ url: 'https://other.example.com/', signers: ['key', 'global'] }], now + 5)).toEqual(opened);
      expect(await store.forEvent(event.eventId)).toEqual(opened);
      expect(await store.forEvent(mintEventId(now))).toEqual([]);
    });

    it('records attempts: every one counts, outcomes move the delivery on', async () => {
      const now = h.clock.now();
      const event = deliveryEvent(now);
      const [first] = await store.open(event, targets, now);
      const retry = { status: 'pending', nextAttemptAt: now + 5000, lastStatusCode: 500, lastError: 'HTTP 500' } as const;
      expect(await store.record(first!, retry, now + 10)).toBe(true);
      expect(await store.record(first!, { status: 'delivered', nextAttemptAt: null, lastStatusCode: 204, lastError: null }, now + 20)).toBe(true);
      const [after, untouched] = await store.forEvent(event.eventId);
      expect(after).toMatchObject({ status: 'delivered', attempts: 2, roundAttempts: 2, lastStatusCode: 204, lastError: null, nextAttemptAt: null, updatedAt: now + 20 });
      expect(untouched).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await store.record({ ...first!, id: `${mintEventId(now)}:0` }, retry, now)).toBe(false);
      expect(await store.record({ ...first!, id: `${event.eventId}:7` }, retry, now)).toBe(false);
    });

    it('keeps no-response facts as null: a timeout has no status code', async () => {
      const now = h.clock.now();
      const event = deliveryEvent(now);
      const [first] = await store.open(event, targets.slice(0, 1), now);
      await store.record(first!, { status: 'pending', nextAttemptAt: now + 1, lastStatusCode: null, lastError: 'timed out after 10000 ms' }, now);
      expect((await store.forEvent(event.eventId))[0]).toMatchObject({ lastStatusCode: null, lastError: 'timed out after 10000 ms', nextAttemptAt: now + 1 });
    });

    it('requeues every delivery of an event into a new round, keeping its history', async () => {
      const now = h.clock.now();
      const event = deliveryEvent(now);
      const [first, second] = await store.open(event, targets, now);
      await store.record(first!, { status: 'failed', nextAttemptAt: null, lastStatusCode: 410, lastError: 'HTTP 410' }, now + 1);
      await store.record(second!, { status: 'refused', nextAttemptAt: null, lastStatusCode: null, lastError: 'refused' }, now + 1);
      const later = now + 60_000;
      const requeued = await store.requeue(event.eventId, later);
      expect(requeued).toHaveLength(2);
      for (const d of requeued) {
        expect(d).toMatchObject({ status: 'pending', nextAttemptAt: later, round: 2, roundStartedAt: later, roundAttempts: 0, attempts: 1, updatedAt: later });
      }
      expect(requeued[0]!.lastStatusCode).toBe(410);
      expect(await store.forEvent(event.eventId)).toEqual(requeued);
      expect(await store.requeue(mintEventId(now), later)).toEqual([]);
    });

    it('lets an attempt of an old round count, but not undo the new round', async () => {
      const now = h.clock.now();
      const event = deliveryEvent(now);
      const [first] = await store.open(event, targets.slice(0, 1), now);
      await store.requeue(event.eventId, now + 100);
      await store.record(first!, { status: 'failed', nextAttemptAt: null, lastStatusCode: 500, lastError: 'HTTP 500' }, now + 200);
      expect((await store.forEvent(event.eventId))[0]).toMatchObject({ status: 'pending', nextAttemptAt: now + 100, round: 2, roundAttempts: 0, attempts: 1, lastStatusCode: 500 });
    });

    it('lists the most recently updated first, by key and by status, at most limit', async () => {
      const now = h.clock.now();
      const mine = deliveryEvent(now);
      const theirs = deliveryEvent(now, OTHER_KEY);
      const [a, b] = await store.open(mine, targets, now);
      const [c] = await store.open(theirs, targets.slice(0, 1), now + 1);
      await store.record(a!, { status: 'delivered', nextAttemptAt: null, lastStatusCode: 200, lastError: null }, now + 2);
      const ids = async (filter: Parameters<DeliveryStore['list']>[0]) => (await store.list(filter)).map((d) => d.id);
      expect(await ids({ limit: 10 })).toEqual([a!.id, c!.id, b!.id]);
      expect(await ids({ limit: 2 })).toEqual([a!.id, c!.id]);
      expect(await ids({ keyId: KEY, limit: 10 })).toEqual([a!.id, b!.id]);
      expect(await ids({ keyId: OTHER_KEY, status: 'pending', limit: 10 })).toEqual([c!.id]);
      expect(await ids({ status: 'pending', limit: 10 })).toEqual([c!.id, b!.id]);
      expect(await ids({ status: 'failed', limit: 10 })).toEqual([]);
      expect(await ids({ keyId: 'key_000000000000000000000009', limit: 10 })).toEqual([]);
    });

    it('breaks ties in the listing by id, newest id first', async () => {
      const now = h.clock.now();
      const event = deliveryEvent(now);
      const opened = await store.open(event, targets, now);
      expect((await store.list({ limit: 10 })).map((d) => d.id)).toEqual(opened.map((d) => d.id).reverse());
    });

    it('reads at most the recent scan limit to fill a filtered page', async () => {
      const now = h.clock.now();
      const needle = deliveryEvent(now);
      const [old] = await store.open(needle, targets.slice(0, 1), now);
      await store.record(old!, { status: 'failed', nextAttemptAt: null, lastStatusCode: 410, lastError: 'HTTP 410' }, now);
      for (let i = 0; i < LIST_SCAN_LIMIT; i++) await store.open(deliveryEvent(now + 1 + i), targets.slice(0, 1), now + 1 + i);
      expect(await store.list({ status: 'failed', limit: 10 })).toEqual([]);
      expect((await store.list({ limit: 1 }))[0]!.status).toBe('pending');
    }, 60_000);

    it('forgets deliveries past retention', async () => {
      const now = h.clock.now();
      const event = deliveryEvent(now);
      await store.open(event, targets, now);
      h.clock.advance(2 * DAY_MS + 1);
      expect(await store.forEvent(event.eventId)).toEqual([]);
      expect(await store.list({ limit: 10 })).toEqual([]);
      expect(await store.requeue(event.eventId, h.clock.now())).toEqual([]);
    });
  });
}
