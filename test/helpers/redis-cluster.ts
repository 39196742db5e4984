import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { findFreePort, startRedisServer, type RedisServer } from './redis-server.js';

export interface RedisCluster {
  servers: RedisServer[];
  /** `redis://127.0.0.1:PORT` of every master, what `store.cluster` takes. */
  urls: string[];
  /** A connected ioredis Cluster client; the caller quits it. */
  connect(): Promise<Cluster>;
  stop(): Promise<void>;
}

/**
 * A real three-master Redis Cluster from private redis-server processes
 * (`cluster-enabled yes`), slots split evenly, no replicas. A record and its
 * owner index usually land on different nodes, so anything that needed them in
 * one command or one pipeline fails here.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  const busPorts: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const busPort = await findFreePort();
      busPorts.push(busPort);
      servers.push(
        await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort)] }),
      );
    }
    const admins = servers.map((s) => new Redis(s.url));
    try {
      const ranges = [[0, 5460], [5461, 10922], [10923, 16383]] as const;
      await Promise.all(admins.map((admin, i) => admin.call('CLUSTER', 'ADDSLOTSRANGE', ...(ranges[i] as readonly [number, number]))));
      const [seed] = admins as [Redis];
      for (const [i, node] of servers.entries()) {
        if (i > 0) await seed.call('CLUSTER', 'MEET', '127.0.0.1', node.port, busPorts[i] as number);
      }
      await until(async () => {
        const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO') as Promise<string>));
        return infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_known_nodes:3'));
      }, 'the cluster to form');
    } finally {
      for (const admin of admins) admin.disconnect();
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    async connect() {
      const cluster = new Cluster(servers.map((s) => ({ host: '127.0.0.1', port: s.port })), { redisOptions: { maxRetriesPerRequest: 1 } });
      await once(cluster, 'ready');
      return cluster;
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await delay(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
