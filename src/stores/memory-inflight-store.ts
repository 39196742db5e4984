import type { AcquireOptions, InflightStore } from './inflight-store.js';

/** InflightStore for one process; slots are `id → deadline` per owner. */
export function createMemoryInflightStore(): InflightStore {
  const byOwner = new Map<string, Map<string, number>>();

  const live = (owner: string, now: number): Map<string, number> => {
    let slots = byOwner.get(owner);
    if (!slots) {
      slots = new Map();
      byOwner.set(owner, slots);
    }
    for (const [id, until] of slots) if (until <= now) slots.delete(id);
    return slots;
  };

  return {
    async acquire(owner, id, { limit, now, holdUntil }: AcquireOptions) {
      const slots = live(owner, now);
      if (!slots.has(id) && limit !== undefined && slots.size >= limit) return false;
      slots.set(id, holdUntil);
      return true;
    },

    async hold(owner, id, { until }) {
      const slots = byOwner.get(owner);
      if (slots?.has(id)) slots.set(id, until);
    },

    async release(owner, id) {
      const slots = byOwner.get(owner);
      slots?.delete(id);
      if (slots?.size === 0) byOwner.delete(owner);
    },

    async count(owner, now) {
      const n = live(owner, now).size;
      if (n === 0) byOwner.delete(owner);
      return n;
    },
  };
}
