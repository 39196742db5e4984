import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Dispatcher } from 'undici';
import { buildApp } from './app.js';
import type { Clock } from './clock.js';
import type { Config, ProviderConfig } from './config/schema.js';
import type { Logger } from './logger.js';
import { closeProviders, createProviderRegistry } from './providers/registry.js';
import { createMemoryTaskStore } from './stores/memory-task-store.js';
import { connectRedis, createRedisClient } from './stores/redis-client.js';
import { createRedisTaskStore } from './stores/redis-task-store.js';
import type { TaskStore } from './stores/task-store.js';
import type { FastifyBaseLogger } from 'fastify';

export interface Runtime {
  app: FastifyInstance;
  store: TaskStore;
  redis?: Redis | Cluster | undefined;
  /** Closes the app, then providers and the store, in that order. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  config: Config;
  logger: FastifyBaseLogger & Logger;
  clock: Clock;
  dispatcherFor?: (config: ProviderConfig) => Dispatcher;
}

/**
 * Creates every real dependency from config and builds the app. main.ts and
 * the test harness both start Reelay through here, so tests run what ships.
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, logger, clock } = options;
  let redis: Redis | Cluster | undefined;
  let store: TaskStore;
  if (config.store.type === 'redis') {
    redis = createRedisClient(config.store);
    // Without a listener ioredis reports connection errors as unhandled; log them instead.
    redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
    await connectRedis(redis);
    store = createRedisTaskStore({ redis, prefix: config.store.prefix, retentionDays: config.store.retention_days, clock, logger });
  } else {
    store = createMemoryTaskStore({ clock, retentionDays: config.store.retention_days });
  }
  const providers = createProviderRegistry(config.providers, {
    logger,
    clock,
    ...(options.dispatcherFor ? { dispatcherFor: options.dispatcherFor } : {}),
  });
  const app = await buildApp({ config, logger, store, providers, clock, redis });
  return {
    app,
    store,
    redis,
    async close() {
      // server.close() drops only the keep-alive connections idle at that moment; one
      // finishing a response afterwards would hold shutdown until its keep-alive timeout.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
      await closeProviders(providers);
      await store.close();
      if (redis) redis.disconnect();
    },
  };
}
