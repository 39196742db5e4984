import type { Cluster, Redis } from 'ioredis';
import { guardRedisStore } from '../stores/redis-errors.js';

/**
 * How many events each handler still has to finish, for /metrics. The
 * events themselves live in their records (the outbox); this index only
 * counts them, so it is written beside the terminal write, not inside it: a
 * crash in between undercounts until the handler runs and settles the count.
 */
export interface EventBacklog {
  add(handler: string, videoId: string): Promise<void>;
  remove(handler: string, videoId: string): Promise<void>;
  /** Pending events per handler name. */
  counts(handlers: readonly string[]): Promise<Record<string, number>>;
}

export function createMemoryEventBacklog(): EventBacklog {
  const sets = new Map<string, Set<string>>();
  const setOf = (h: string) => {
    let s = sets.get(h);
    if (!s) sets.set(h, (s = new Set()));
    return s;
  };
  return {
    async add(handler, id) {
      setOf(handler).add(id);
    },
    async remove(handler, id) {
      setOf(handler).delete(id);
    },
    async counts(handlers) {
      return Object.fromEntries(handlers.map((h) => [h, setOf(h).size]));
    },
  };
}

/** `${prefix}{events}:backlog:<handler>`: one set per handler, all in one slot. */
export function createRedisEventBacklog({ redis, prefix }: { redis: Redis | Cluster; prefix: string }): EventBacklog {
  const key = (handler: string) => `${prefix}{events}:backlog:${handler}`;
  return guardRedisStore<EventBacklog>({
    async add(handler, id) {
      await redis.sadd(key(handler), id);
    },
    async remove(handler, id) {
      await redis.srem(key(handler), id);
    },
    async counts(handlers) {
      const sizes = await Promise.all(handlers.map((h) => redis.scard(key(h))));
      return Object.fromEntries(handlers.map((h, i) => [h, sizes[i]!]));
    },
  });
}
