import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Dispatcher } from 'undici';
import { buildApp } from './app.js';
import { createBudgets } from './budgets/budgets.js';
import { meteredBudgets } from './budgets/metered.js';
import type { BudgetLedger } from './budgets/ledger.js';
import { createMemoryBudgetLedger } from './budgets/memory-ledger.js';
import { createRedisBudgetLedger } from './budgets/redis-ledger.js';
import { createSettleHandler } from './budgets/settle-handler.js';
import { createMemoryEventBacklog, createRedisEventBacklog, type EventBacklog } from './events/backlog.js';
import { createEventDispatcher } from './events/dispatcher.js';
import { RESERVATION_MS } from './videos/service.js';
import { DAY_MS, type Clock } from './clock.js';
import type { Config, ProviderConfig } from './config/schema.js';
import type { Logger } from './logger.js';
import { createBackgroundPoller, type BackgroundPoller } from './polling/background-poller.js';
import { createMetrics } from './metrics.js';
import { createJobPoller, type JobPoller } from './polling/job-poller.js';
import { closeProviders, createProviderRegistry } from './providers/registry.js';
import type { KeyStore } from './keys/key-store.js';
import { createKeyResolver } from './keys/key-resolver.js';
import { createMemoryKeyStore } from './keys/memory-key-store.js';
import { createRedisKeyStore } from './keys/redis-key-store.js';
import type { InflightStore } from './stores/inflight-store.js';
import type { JobSchedule } from './stores/job-schedule.js';
import { createMemoryInflightStore } from './stores/memory-inflight-store.js';
import { createMemoryJobSchedule } from './stores/memory-job-schedule.js';
import { createMemoryTaskStore } from './stores/memory-task-store.js';
import { checkRedis } from './stores/redis-checks.js';
import { connectRedis, createRedisClient, redactUrl } from './stores/redis-client.js';
import { createRedisInflightStore } from './stores/redis-inflight-store.js';
import { createRedisJobSchedule } from './stores/redis-job-schedule.js';
import { createRedisTaskStore } from './stores/redis-task-store.js';
import { createWebhooks } from './webhooks/webhooks.js';
import { createStorage } from './storage/create-storage.js';
import { createCustody, type Custody } from './storage/custody.js';
import { meteredStorage } from './storage/metered.js';
import type { TaskStore } from './stores/task-store.js';
import { withStatusCache } from './stores/status-cache.js';

export interface Runtime {
  app: FastifyInstance;
  store: TaskStore;
  schedule: JobSchedule;
  inflight: InflightStore;
  keyStore: KeyStore;
  jobs: JobPoller;
  poller: BackgroundPoller;
  redis?: Redis | Cluster | undefined;
  /** Content custody, when storage.type is not none. */
  custody?: Custody | undefined;
  /** Stops polling (leases go back), drains the app, then closes providers and the store, in that order. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  config: Config;
  logger: FastifyBaseLogger & Logger;
  clock: Clock;
  dispatcherFor?: (config: ProviderConfig) => Dispatcher;
}


/**
 * Records outlive their stored files by a week at least: a client asking for
 * content past `storage.retention_days` should read `video_expired`, which
 * needs the record, rather than `video_not_found`.
 */
export function recordRetentionDays(config: Config): number {
  return config.storage.type === 'none' ? config.store.retention_days : Math.max(config.store.retention_days, config.storage.retention_days + 7);
}

interface SharedState {
  store: TaskStore;
  schedule: JobSchedule;
  inflight: InflightStore;
  ledger: BudgetLedger;
  keyStore: KeyStore;
  backlog: EventBacklog;
  redis?: Redis | Cluster | undefined;
}

/** Everything instances share: in Redis (or Redis Cluster), or in this process for the memory store. */
async function createSharedState({ config, logger, clock }: RuntimeOptions): Promise<SharedState> {
  const { store: cfg } = config;
  if (cfg.type !== 'redis') {
    const inflight = createMemoryInflightStore();
    logger.warn({ store: 'memory' }, 'memory store: keys made through the admin API, usage and budgets live in this process and are lost on restart; use store.type redis to keep them');
    return {
      store: createMemoryTaskStore({ clock, retentionDays: recordRetentionDays(config) }),
      schedule: createMemoryJobSchedule(),
      inflight,
      ledger: createMemoryBudgetLedger(inflight),
      keyStore: createMemoryKeyStore(),
      backlog: createMemoryEventBacklog(),
    };
  }
  const redis = createRedisClient(cfg);
  // Without a listener ioredis reports connection errors as unhandled; log them instead.
  redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  await connectRedis(redis);
  await checkRedis(redis, cfg.cluster ? cfg.cluster.join(',') : redactUrl(cfg.url), logger);
  return {
    redis,
    store: createRedisTaskStore({ redis, prefix: cfg.prefix, retentionDays: recordRetentionDays(config), clock, logger }),
    schedule: createRedisJobSchedule({ redis, prefix: cfg.prefix, ttlMs: recordRetentionDays(config) * DAY_MS }),
    inflight: createRedisInflightStore({ redis, prefix: cfg.prefix }),
    ledger: createRedisBudgetLedger({ redis, prefix: cfg.prefix }),
    backlog: createRedisEventBacklog({ redis, prefix: cfg.prefix }),
    keyStore: await createRedisKeyStore({ redis, prefix: cfg.prefix, logger: logger.child({ component: 'keys' }) }),
  };
}

/**
 * Creates every real dependency from config, builds the app and starts the
 * background poller. main.ts and the test harness both start Reelay through
 * here, so tests run what ships.
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, logger, clock } = options;
  const shared = await createSharedState(options);
  const { schedule, inflight, ledger, keyStore, backlog, redis } = shared;
  // The memory store is memory already; with Redis a finished video's status reads skip the round trip.
  const store = withStatusCache(shared.store, { clock, ttlMs: redis ? config.store.status_cache_ms : 0 });
  const authenticator = createKeyResolver({ configKeys: config.keys, store: keyStore, clock, logger: logger.child({ component: 'keys' }) });
  const metrics = createMetrics();
  const providers = createProviderRegistry(config.providers, {
    logger,
    clock,
    metrics,
    ...(options.dispatcherFor ? { dispatcherFor: options.dispatcherFor } : {}),
  });
  // Decorators count reservations and committed bytes; the modules they wrap stay free of metrics.
  const budgets = meteredBudgets(createBudgets({
    ledger,
    pricing: config.pricing,
    clock,
    reservationMs: RESERVATION_MS,
    concurrencyRetryS: Math.ceil(config.poll.initial_ms / 1000),
  }), metrics);
  const webhooks = createWebhooks({ config, keyStore, tasks: store, schedule, redis, clock, metrics });
  const driver = createStorage(config.storage, clock);
  const storage = driver && meteredStorage(driver, metrics);
  const custody = storage && createCustody({ storage, store, providers, clock, config: config.storage, logger: logger.child({ component: 'custody' }) });
  const events = createEventDispatcher({ store, handlers: [createSettleHandler(budgets), webhooks.handler, ...(custody ? [custody.handler] : [])], backlog, clock });
  metrics.trackBacklog(() => events.backlog());
  // Read from the shared schedule at scrape time: every instance reports the cluster-wide figures.
  metrics.trackSchedule(async () => ({ ...(await schedule.stats()), now: clock.now() }));
  const jobs = createJobPoller({ providers, store, schedule, inflight, budgets, events, clock, poll: config.poll, metrics });
  const app = await buildApp({ config, logger, store, inflight, jobs, budgets, events, ledger, providers, clock, redis, metrics, keyStore, authenticator, webhooks: webhooks.admin, custody });
  const poller = createBackgroundPoller({ jobs, schedule, clock, poll: config.poll, logger: logger.child({ component: 'poller' }) });
  poller.start();
  custody?.start();
  return {
    app,
    store,
    schedule,
    inflight,
    keyStore,
    jobs,
    poller,
    redis,
    custody,
    async close() {
      // Custody's copies in flight abort, so the event handlers jobs.close() waits for end promptly.
      await Promise.all([custody?.close(), poller.stop(), jobs.close()]);
      await webhooks.close();
      await closeApp(app);
      await closeProviders(providers);
      await storage?.close();
      authenticator.close();
      await keyStore.close();
      await store.close();
      if (redis) redis.disconnect();
    },
  };
}

/**
 * app.close() closes the connections idle at that moment; a keep-alive
 * connection whose response was still in flight would otherwise hold the
 * server open for the whole keep-alive timeout once that response is done.
 */
async function closeApp(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}
