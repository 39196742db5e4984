import { Cluster, Redis } from 'ioredis';
import type { StoreConfig } from '../config/schema.js';

/**
 * Commands fail fast while Redis is unreachable (no offline queue, one retry
 * per request), so the API answers 503 quickly instead of hanging; ioredis
 * keeps reconnecting in the background and service resumes by itself.
 */
const COMMON = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  // A Redis that accepts the connection but never answers (paused, partitioned) must not hang requests either.
  commandTimeout: 2000,
  lazyConnect: true,
  // Commands issued in the same tick leave in one write: on a busy instance (many polls and status reads
  // at once) the per-command socket write, not Redis, is what costs CPU. Order on the connection is kept.
  // A Cluster's node connections get this too; the Cluster-level option stays off: with it, polls on a
  // Cluster stopped completing (test/shared/cluster.test.ts).
  enableAutoPipelining: true,
} as const;

const retryStrategy = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);

export function createRedisClient(config: Pick<StoreConfig, 'url' | 'cluster'>): Redis | Cluster {
  if (config.cluster) {
    const urls = config.cluster.map((u) => new URL(u));
    const nodes = urls.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) }));
    // Every node of one cluster shares credentials and transport: take them from the first seed URL.
    const [first] = urls as [URL];
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: retryStrategy,
      redisOptions: {
        ...COMMON,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    });
  }
  return new Redis(config.url, { ...COMMON, retryStrategy });
}

/** Connects and waits until the client is ready; rejects on the first failure. */
export async function connectRedis(client: Redis | Cluster): Promise<void> {
  await client.connect();
}

/** A Redis URL fit for a log line: any password replaced. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
