import { DAY_MS, type Clock } from '../clock.js';
import type { Outbox } from '../events/handler.js';
import { TERMINAL_STATUSES } from '../openai/videos.js';
import type { ListOptions, ListPage, TaskRecord, TaskState, TaskStore, UpdateResult } from './task-store.js';


export interface MemoryTaskStoreOptions {
  clock: Clock;
  retentionDays: number;
}

/**
 * A single-process TaskStore: everything is lost on restart, so it suits
 * development, tests and one-replica deployments that accept that.
 *
 * Records past retention (createdAt + retentionDays) are invisible at once and
 * removed lazily when touched; a cheap sweep on put keeps memory bounded
 * without a timer, which would need its own lifecycle.
 */
export function createMemoryTaskStore({ clock, retentionDays }: MemoryTaskStoreOptions): TaskStore {
  const keepMs = retentionDays * DAY_MS;
  const records = new Map<string, TaskRecord>();
  /** Per owner, ids in ascending order; ids sort by creation time. */
  const byOwner = new Map<string, string[]>();

  const isExpired = (record: TaskRecord, now: number): boolean => now >= record.createdAt + keepMs;

  const unindex = (owner: string, id: string): void => {
    const ids = byOwner.get(owner);
    if (!ids) return;
    const i = lowerBound(ids, id);
    if (ids[i] === id) ids.splice(i, 1);
    if (ids.length === 0) byOwner.delete(owner);
  };

  const remove = (record: TaskRecord): void => {
    records.delete(record.id);
    unindex(record.owner, record.id);
  };

  /** The live record, pruning it first when retention has passed. */
  const live = (id: string): TaskRecord | undefined => {
    const record = records.get(id);
    if (!record) return undefined;
    if (isExpired(record, clock.now())) {
      remove(record);
      return undefined;
    }
    return record;
  };

  /**
   * Map iteration follows insertion order, which is creation order in practice,
   * so the expired records are at the front: stop at the first live one.
   */
  const sweep = (now: number): void => {
    for (const record of records.values()) {
      if (!isExpired(record, now)) break;
      remove(record);
    }
  };

  return {
    async put(record) {
      const now = clock.now();
      sweep(now);
      // Already past retention: storing it would only make it vanish on the next read.
      if (isExpired(record, now)) return;
      const previous = records.get(record.id);
      if (previous && previous.owner !== record.owner) unindex(previous.owner, record.id);
      // Custody is updateCustody's alone: put neither brings a copied record's files nor drops the stored ones.
      const { custody: _ignored, ...fields } = record;
      records.set(record.id, previous?.custody ? { ...structuredClone(fields), custody: previous.custody } : structuredClone(fields));
      insertSorted(byOwner, record.owner, record.id);
    },

    async get(id) {
      const record = live(id);
      return record ? structuredClone(record) : undefined;
    },

    async updateState(id: string, state: TaskState, updatedAt: number, outbox?: Outbox): Promise<UpdateResult> {
      const record = live(id);
      if (!record) return 'missing';
      if (TERMINAL_STATUSES.has(record.state.status)) return 'terminal';
      record.state = structuredClone(state);
      record.updatedAt = updatedAt;
      if (outbox) record.outbox = structuredClone(outbox);
      return 'updated';
    },

    async updateHandler(id, handler, next) {
      const record = live(id);
      if (!record?.outbox) return false;
      if (next) record.outbox.pending[handler] = { ...next };
      else delete record.outbox.pending[handler];
      return true;
    },

    async updateCustody(id, variant, entry) {
      const record = live(id);
      if (!record) return false;
      record.custody = { ...record.custody, [variant]: structuredClone(entry) };
      return true;
    },

    async delete(id) {
      const record = live(id);
      if (!record) return false;
      remove(record);
      return true;
    },

    async list(owner: string, { after, limit, order }: ListOptions): Promise<ListPage> {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`list limit must be a positive integer, got ${limit}`);
      const ids = byOwner.get(owner);
      if (!ids) return { data: [], hasMore: false };
      const now = clock.now();
      const page: TaskRecord[] = [];
      const expired: TaskRecord[] = [];
      // One extra record tells whether another page exists.
      if (order === 'asc') {
        for (let i = after === undefined ? 0 : upperBound(ids, after); i < ids.length && page.length <= limit; i++) {
          collect(ids[i], now, page, expired);
        }
      } else {
        for (let i = (after === undefined ? ids.length : lowerBound(ids, after)) - 1; i >= 0 && page.length <= limit; i--) {
          collect(ids[i], now, page, expired);
        }
      }
      // Pruned after the walk so the indexes above stay valid during it.
      for (const record of expired) remove(record);
      return { data: page.slice(0, limit).map((r) => structuredClone(r)), hasMore: page.length > limit };
    },

    async ping() {},

    async close() {},
  };

  function collect(id: string | undefined, now: number, page: TaskRecord[], expired: TaskRecord[]): void {
    const record = id === undefined ? undefined : records.get(id);
    if (!record) return;
    if (isExpired(record, now)) expired.push(record);
    else page.push(record);
  }
}

function insertSorted(byOwner: Map<string, string[]>, owner: string, id: string): void {
  let ids = byOwner.get(owner);
  if (!ids) {
    ids = [];
    byOwner.set(owner, ids);
  }
  const i = lowerBound(ids, id);
  if (ids[i] !== id) ids.splice(i, 0, id);
}

/** First index whose id is >= `id`. */
function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose id is > `id`. */
function upperBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
