import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

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
}

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'reelay_' });
  return {
    registry,
    unknownStatus: new Counter({
      name: 'reelay_upstream_unknown_status_total',
      help: 'Upstream status words no adapter status table knows (the job keeps its last known state).',
      labelNames: ['provider', 'status'] as const,
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
