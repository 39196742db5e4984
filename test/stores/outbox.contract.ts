import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { videoEvent } from '../../src/events/event.js';
import type { Outbox } from '../../src/events/handler.js';
import type { TaskState, TaskStore } from '../../src/stores/task-store.js';
import { makeRecord, type TaskStoreFactory, type TaskStoreHarness } from './task-store.contract.js';

/**
 * The outbox half of the TaskStore contract: the terminal write records the
 * event with it, and handlers move on one field at a time. Run by the same
 * test files as the rest of the contract, on memory, Redis and Cluster.
 */

const completed: TaskState = { status: 'completed', progress: 100, error: null, completedAt: 1, expiresAt: 2 };
const outboxAt = (id: string, now: number): Outbox => ({
  event: videoEvent(id, 'completed', now),
  pending: { settle: { attempts: 0, nextAt: now }, webhooks: { attempts: 0, nextAt: now } },
});

export function describeOutboxContract(name: string, factory: TaskStoreFactory): void {
  describe(`TaskStore outbox contract: ${name}`, () => {
    let h: TaskStoreHarness;
    let store: TaskStore;
    beforeEach(async () => {
      h = await factory({ retentionDays: 2 });
      store = h.store;
    });
    afterEach(() => h.cleanup());

    it('records the event with the terminal write that wins, and only with that one', async () => {
      const record = makeRecord(h.clock.now());
      await store.put(record);
      const first = outboxAt(record.id, h.clock.now());
      expect(await store.updateState(record.id, completed, h.clock.now(), first)).toBe('updated');
      expect(await store.updateState(record.id, completed, h.clock.now(), outboxAt(record.id, h.clock.now() + 1))).toBe('terminal');
      expect((await store.get(record.id))?.outbox).toEqual(first);
    });

    it('moves one handler on or marks it finished, leaving the others', async () => {
      const record = makeRecord(h.clock.now());
      await store.put(record);
      const outbox = outboxAt(record.id, h.clock.now());
      await store.updateState(record.id, completed, h.clock.now(), outbox);
      expect(await store.updateHandler(record.id, 'webhooks', { attempts: 1, nextAt: 5000 })).toBe(true);
      expect(await store.updateHandler(record.id, 'settle', null)).toBe(true);
      expect((await store.get(record.id))?.outbox).toEqual({ event: outbox.event, pending: { webhooks: { attempts: 1, nextAt: 5000 } } });
      // Lists carry the outbox too.
      expect((await store.list('alice', { limit: 10, order: 'desc' })).data[0]?.outbox?.event.id).toBe(outbox.event.id);
    });

    it('stores an outbox given at put, for a job terminal at create', async () => {
      const record = { ...makeRecord(h.clock.now()), state: completed };
      const outbox = outboxAt(record.id, h.clock.now());
      await store.put({ ...record, outbox });
      expect((await store.get(record.id))?.outbox).toEqual(outbox);
    });

    it('never brings a deleted record back, and changes nothing on a record without an event', async () => {
      const record = makeRecord(h.clock.now());
      await store.put(record);
      expect(await store.updateHandler(record.id, 'settle', null)).toBe(false);
      expect((await store.get(record.id))?.outbox).toBeUndefined();
      await store.updateState(record.id, completed, h.clock.now(), outboxAt(record.id, h.clock.now()));
      await store.delete(record.id);
      expect(await store.updateHandler(record.id, 'settle', { attempts: 1, nextAt: 1 })).toBe(false);
      expect(await store.get(record.id)).toBeUndefined();
    });
  });
}
