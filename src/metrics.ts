import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one Reelay process, on its own registry (no global
 * state): process defaults plus the upstream facts an operator needs at 3 a.m.
 */
export interface Metrics {
  registry: Registry;
  /** Upstream status words no adapter table knows; the job kept its last state. */
  unknownStatus: Counter<'provider' | 'status'>;
  /** Upstream status polls by outcome (`ok`, `error`). */
  upstreamPolls: Counter<'provider' | 'outcome'>;
  /**
   * Webhook attempts by outcome: `delivered`, `retried` (failed, another attempt is planned),
   * `failed` (retries used up, or 410) and `refused` (the SSRF guard).
   */
  webhookDeliveries: Counter<'outcome'>;
  /** Reports each event handler's backlog at scrape time from `read`. */
  trackBacklog(read: () => Promise<Record<string, number>>): void;
}

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'reelay_' });
  let readBacklog: (() => Promise<Record<string, number>>) | undefined;
  new Gauge({
    name: 'reelay_events_backlog',
    help: 'Terminal video events a handler (settle, custody, webhooks) has not finished yet, across instances.',
    labelNames: ['handler'] as const,
    registers: [registry],
    async collect() {
      if (!readBacklog) return;
      // A scrape during a store outage reports what it can: the gauge simply keeps its last values.
      const counts = await readBacklog().catch(() => undefined);
      for (const [handler, n] of Object.entries(counts ?? {})) this.set({ handler }, n);
    },
  });
  return {
    registry,
    trackBacklog(read) {
      readBacklog = read;
    },
    unknownStatus: new Counter({
      name: 'reelay_upstream_unknown_status_total',
      help: 'Upstream status words no adapter status table knows (the job keeps its last known state).',
      labelNames: ['provider', 'status'] as const,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'reelay_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retried, failed, refused).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    upstreamPolls: new Counter({
      name: 'reelay_upstream_polls_total',
      help: 'Upstream status polls, by provider and outcome.',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
  };
}
