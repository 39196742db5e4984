import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { createRedisClient } from '../../src/stores/redis-client.js';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

/**
 * Suite-scoped Redis for store tests: each helper registers the enclosing
 * suite's beforeAll/afterAll and hands the connected client to `bind` once it
 * is up, so a test file keeps its own `let redis` / `let cluster` variable.
 */

/** One private redis-server and a client on it (one retry per request: failures surface fast). */
export function useRedisServer(bind: (redis: Redis) => void): void {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    bind(redis);
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });
}

/**
 * A private redis-server for one outage test, and the production client on it
 * (no offline queue: commands fail at once while the server is away), both
 * gone when the test finishes.
 */
export async function useOutageRedis(): Promise<{ outage: RedisServer; client: Redis }> {
  const outage = await startRedisServer();
  const client = createRedisClient({ url: outage.url }) as Redis;
  client.on('error', () => {}); // connection errors are the point of such a test
  onTestFinished(async () => {
    client.disconnect();
    await outage.stop();
  });
  await client.connect();
  return { outage, client };
}

/** A real three-master Redis Cluster and a connected Cluster client. */
export function useRedisCluster(bind: (cluster: Cluster) => void): void {
  let servers: RedisCluster | undefined;
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    servers = await startRedisCluster();
    cluster = await servers.connect();
    bind(cluster);
  }, 30_000);
  afterAll(async () => {
    await cluster?.quit();
    await servers?.stop();
  });
}

/** Every key under `prefix`, read with SCAN on one node. */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key under `prefix` on each node, one key per command (a cluster node refuses multi-key commands across slots). */
export async function deleteUnder(nodes: readonly Redis[], prefix: string): Promise<void> {
  for (const node of nodes) {
    const keys = await keysUnder(node, prefix);
    if (keys.length === 0) continue;
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.unlink(key);
    await pipeline.exec();
  }
}
