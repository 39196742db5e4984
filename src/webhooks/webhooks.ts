import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventHandler } from '../events/handler.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Metrics } from '../metrics.js';
import type { JobSchedule } from '../stores/job-schedule.js';
import type { TaskStore } from '../stores/task-store.js';
import { createWebhookAdmin, type WebhookAdmin } from './admin.js';
import type { DeliveryStore } from './delivery-store.js';
import { createWebhookAgent, type ResolveAll } from './guarded-agent.js';
import { createWebhooksHandler } from './handler.js';
import { createMemoryDeliveryStore } from './memory-delivery-store.js';
import { createRedisDeliveryStore } from './redis-delivery-store.js';
import { createWebhookTargets } from './targets.js';

/** Signed webhooks, wired: the outbox handler, the admin view, and what must be closed. */
export interface Webhooks {
  handler: EventHandler;
  admin: WebhookAdmin;
  deliveries: DeliveryStore;
  /** Closes the HTTP agent's sockets. */
  close(): Promise<void>;
}

export interface WebhooksDeps {
  config: Pick<Config, 'webhooks' | 'keys' | 'store' | 'poll'>;
  keyStore: KeyStore;
  tasks: TaskStore;
  schedule: JobSchedule;
  /** The shared client when the store is Redis: deliveries live beside the jobs. */
  redis?: Redis | Cluster | undefined;
  clock: Clock;
  metrics: Pick<Metrics, 'webhookDeliveries'>;
  /** Tests only: a resolver standing in for DNS. */
  resolveAll?: ResolveAll;
}

export function createWebhooks(deps: WebhooksDeps): Webhooks {
  const { config, keyStore, clock } = deps;
  const { webhooks, store } = config;
  const deliveries = deps.redis
    ? createRedisDeliveryStore({ redis: deps.redis, prefix: store.prefix, retentionDays: store.retention_days, clock })
    : createMemoryDeliveryStore({ clock, retentionDays: store.retention_days });
  const dispatcher = createWebhookAgent({
    allowPrivate: webhooks.allow_private,
    timeoutMs: webhooks.timeout_ms,
    ...(deps.resolveAll ? { resolveAll: deps.resolveAll } : {}),
  });
  const targets = createWebhookTargets({ config, keyStore });
  return {
    handler: createWebhooksHandler({ config: webhooks, deliveries, targets, dispatcher, clock, metrics: deps.metrics }),
    admin: createWebhookAdmin({ deliveries, tasks: deps.tasks, schedule: deps.schedule, audit: keyStore, clock, poll: config.poll }),
    deliveries,
    close: () => dispatcher.close(),
  };
}
