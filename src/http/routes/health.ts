import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { documented } from '../../openapi/route-docs.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import type { TaskStore } from '../../stores/task-store.js';

export interface HealthRoutesOptions {
  store: TaskStore;
  providers: ProviderRegistry;
  /** readyz.details: list providers and credential health on the unauthenticated probe. */
  details: boolean;
}

export const LivenessSchema = z.strictObject({ status: z.literal('ok') }).describe('The process answers.');
type Liveness = z.infer<typeof LivenessSchema>;

/** Only with `readyz.details: true`: each provider's type and credential health (fingerprints, never keys). */
const ProvidersHealthSchema = z.record(
  z.string(),
  z.strictObject({
    type: z.string(),
    credentials: z.array(z.strictObject({ fingerprint: z.string(), state: z.enum(['active', 'cooling_down', 'disabled']), reason: z.string().optional() })),
  }),
);

export const ReadySchema = z
  .strictObject({ status: z.literal('ready'), store: z.literal('ok').optional(), providers: ProvidersHealthSchema.optional() })
  .describe('Ready to serve; `store` and `providers` only with readyz.details.');
type Ready = z.infer<typeof ReadySchema>;

export const NotReadySchema = z
  .strictObject({ status: z.literal('unavailable'), store: z.literal('unreachable').optional(), error: z.string().optional(), providers: ProvidersHealthSchema.optional() })
  .describe('The store does not answer (with retry-after); the rest only with readyz.details.');
type NotReady = z.infer<typeof NotReadySchema>;

/**
 * Liveness says the process answers; readiness says it can serve (the store
 * answers). Both need no key, so by default readiness says only that:
 * provider ids, credential fingerprints and store errors are for operators
 * (`readyz.details: true`), and always in the log.
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  const tags = ['operations'];
  app.get(
    '/healthz',
    documented({ operationId: 'healthz', summary: 'Liveness', tags, response: { 200: LivenessSchema } }),
    async (): Promise<Liveness> => ({ status: 'ok' }),
  );

  // /metrics is in metrics.ts: it needs the admin key.

  const providerHealth = () =>
    Object.fromEntries([...opts.providers.values()].map((p) => [p.id, { type: p.type, credentials: p.health?.() ?? [] }]));

  const readyDocs = documented({ operationId: 'readyz', summary: 'Readiness: the store answers', tags, response: { 200: ReadySchema, 503: NotReadySchema } });
  app.get('/readyz', readyDocs, async (request, reply): Promise<Ready | NotReady> => {
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
