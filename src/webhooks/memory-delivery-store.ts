import { DAY_MS, type Clock } from '../clock.js';
import {
  byRecency,
  LIST_SCAN_LIMIT,
  newDeliveries,
  recorded,
  requeued,
  splitDeliveryId,
  type Delivery,
  type DeliveryStore,
} from './delivery-store.js';

export interface MemoryDeliveryStoreOptions {
  clock: Clock;
  /** Deliveries are kept as long as job records: `store.retention_days`. */
  retentionDays: number;
}

/**
 * DeliveryStore for one process: the same contract, lost on restart (as the
 * memory store's jobs are, so nothing is left to deliver for anyway). Each
 * call finishes before its first await, so each is one atomic step.
 */
export function createMemoryDeliveryStore({ clock, retentionDays }: MemoryDeliveryStoreOptions): DeliveryStore {
  const keepMs = retentionDays * DAY_MS;
  /** By event id, in the order events were opened: oldest first, which the sweep relies on. */
  const events = new Map<string, Delivery[]>();

  const live = (eventId: string): Delivery[] | undefined => {
    const deliveries = events.get(eventId);
    if (deliveries && deliveries[0]!.createdAt <= clock.now() - keepMs) {
      events.delete(eventId);
      return undefined;
    }
    return deliveries;
  };
  const sweep = (now: number): void => {
    for (const [eventId, deliveries] of events) {
      if (deliveries[0]!.createdAt > now - keepMs) break;
      events.delete(eventId);
    }
  };
  const copy = (deliveries: readonly Delivery[]): Delivery[] => structuredClone([...deliveries]);

  return {
    async open(event, targets, now) {
      sweep(now);
      const existing = live(event.eventId);
      if (existing) return copy(existing);
      const fresh = newDeliveries(event, targets, now);
      events.set(event.eventId, fresh);
      return copy(fresh);
    },

    async forEvent(eventId) {
      return copy(live(eventId) ?? []);
    },

    async record({ id, round }, outcome, now) {
      const deliveries = live(splitDeliveryId(id).eventId);
      const i = deliveries?.findIndex((d) => d.id === id) ?? -1;
      if (!deliveries || i < 0) return false;
      deliveries[i] = recorded(deliveries[i]!, round, outcome, now);
      return true;
    },

    async requeue(eventId, now) {
      const deliveries = live(eventId);
      if (!deliveries) return [];
      deliveries.forEach((d, i) => (deliveries[i] = requeued(d, now)));
      return copy(deliveries);
    },

    async list({ keyId, status, limit }) {
      sweep(clock.now());
      const all = [...events.values()].flat().filter((d) => keyId === undefined || d.keyId === keyId);
      const recent = all.sort(byRecency).slice(0, LIST_SCAN_LIMIT);
      return copy(recent.filter((d) => status === undefined || d.status === status).slice(0, limit));
    },
  };
}
