import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ProviderRegistry } from '../../providers/registry.js';
import type { TaskStore } from '../../stores/task-store.js';

export interface HealthRoutesOptions {
  metrics: Registry;
  store: TaskStore;
  providers: ProviderRegistry;
  /** readyz.details: list providers and credential health on the unauthenticated probe. */
  details: boolean;
}

/**
 * Liveness says the process answers; readiness says it can serve (the store
 * answers). Both need no key, so by default readiness says only that:
 * provider ids, credential fingerprints and store errors are for operators
 * (`readyz.details: true`), and always in the log.
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Prometheus text format; like /healthz it carries no secrets and needs no key.
  app.get('/metrics', async (_request, reply) => {
    reply.type(opts.metrics.contentType);
    return opts.metrics.metrics();
  });

  const providerHealth = () =>
    Object.fromEntries([...opts.providers.values()].map((p) => [p.id, { type: p.type, credentials: p.health?.() ?? [] }]));

  app.get('/readyz', async (request, reply) => {
    try {
      await opts.store.ping();
      return opts.details ? { status: 'ready', store: 'ok', providers: providerHealth() } : { status: 'ready' };
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'readiness check failed: the store does not answer');
      reply.code(503).header('retry-after', '1');
      return opts.details
        ? { status: 'unavailable', store: 'unreachable', error: (err as Error).message, providers: providerHealth() }
        : { status: 'unavailable' };
    }
  });
}
