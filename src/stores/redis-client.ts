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
  lazyConnect: true,
} as const;

const retryStrategy = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);

export function createRedisClient(config: StoreConfig): Redis | Cluster {
  if (config.cluster) {
    const nodes = config.cluster.map((u) => {
      const url = new URL(u);
      return { host: url.hostname, port: Number(url.port || 6379) };
    });
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: retryStrategy,
      redisOptions: COMMON,
    });
  }
  return new Redis(config.url, { ...COMMON, retryStrategy });
}

/** Connects and waits until the client is ready; rejects on the first failure. */
export async function connectRedis(client: Redis | Cluster): Promise<void> {
  await client.connect();
}
