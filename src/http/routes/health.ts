import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ProviderRegistry } from '../../providers/registry.js';
import type { TaskStore } from '../../stores/task-store.js';

export interface HealthRoutesOptions {
  metrics: Registry;
  store: TaskStore;
  providers: ProviderRegistry;
}

/** Liveness says the process answers; readiness says it can serve (the store answers). */
export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Prometheus text format; like /healthz it carries no secrets and needs no key.
  app.get('/metrics', async (_request, reply) => {
    reply.type(opts.metrics.contentType);
    return opts.metrics.metrics();
  });

  app.get('/readyz', async (_request, reply) => {
    const providers = Object.fromEntries([...opts.providers.values()].map((p) => [p.id, { type: p.type, credentials: p.health?.() ?? [] }]));
    try {
      await opts.store.ping();
      return { status: 'ready', store: 'ok', providers };
    } catch (err) {
      reply.code(503).header('retry-after', '1');
      return { status: 'unavailable', store: 'unreachable', error: (err as Error).message, providers };
    }
  });
}
