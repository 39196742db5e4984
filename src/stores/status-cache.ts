import type { Clock } from '../clock.js';
import { TERMINAL_STATUSES } from '../openai/videos.js';
import type { TaskRecord, TaskStore } from './task-store.js';

export interface StatusCacheOptions {
  clock: Clock;
  /** How long a terminal record answers status reads from this process; 0 turns the cache off. */
  ttlMs: number;
  /** The most records kept; the oldest goes first. */
  maxEntries?: number;
}

/** A TaskStore whose status reads may come from memory. Every other read, and every write, goes to the store. */
export interface StatusCachedStore extends TaskStore {
  /**
   * The record for `GET /v1/videos/{id}`: a terminal record read by this
   * process less than `ttlMs` ago comes from memory, with no store round trip.
   */
  getForStatus(id: string): Promise<TaskRecord | undefined>;
}

/**
 * Terminal records change for a client only when they are deleted, or when a
 * stored copy moves `expires_at`, so a status read of a finished video can be
 * answered from memory. This process's own writes drop the entry at once; a
 * write by another instance is seen within `ttlMs` (the documented tolerance,
 * README "Performance"). Non-terminal records are never cached: the poller
 * and other instances move them on, and the status read's freshness check
 * (`poll.stale_ms`) must see what the store holds.
 */
export function withStatusCache(store: TaskStore, options: StatusCacheOptions): StatusCachedStore {
  const { clock, ttlMs } = options;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { at: number; record: TaskRecord }>();
  // Bumped by every write: a read that started before one never caches what it read.
  let writes = 0;

  const drop = (id: string): void => {
    writes++;
    entries.delete(id);
  };
  const dropAround = async <T>(id: string, write: () => Promise<T>): Promise<T> => {
    drop(id);
    try {
      return await write();
    } finally {
      // Again after: a read that raced the write may have cached the old record meanwhile.
      drop(id);
    }
  };

  return {
    async getForStatus(id) {
      const hit = entries.get(id);
      if (hit && clock.now() - hit.at < ttlMs) return hit.record;
      const before = writes;
      const record = await store.get(id);
      if (ttlMs > 0 && record && TERMINAL_STATUSES.has(record.state.status) && writes === before) {
        // Re-inserted last, so the Map's first entry is always the oldest.
        entries.delete(id);
        entries.set(id, { at: clock.now(), record });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      } else if (hit) {
        entries.delete(id);
      }
      return record;
    },
    get: (id) => store.get(id),
    list: (owner, opts) => store.list(owner, opts),
    put: (record) => dropAround(record.id, () => store.put(record)),
    updateState: (id, state, updatedAt, outbox) => dropAround(id, () => store.updateState(id, state, updatedAt, outbox)),
    updateHandler: (id, handler, next) => dropAround(id, () => store.updateHandler(id, handler, next)),
    updateCustody: (id, variant, entry) => dropAround(id, () => store.updateCustody(id, variant, entry)),
    delete: (id) => dropAround(id, () => store.delete(id)),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
