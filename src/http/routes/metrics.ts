import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { registerAdminAuth } from '../../admin/auth.js';
import type { FailureLimiter } from '../../admin/failure-limiter.js';
import type { AdminKeyConfig } from '../../config/schema.js';
import { z } from 'zod';
import { AuthenticationError } from '../../errors.js';
import { documented } from '../../openapi/route-docs.js';

export interface MetricsRoutesOptions {
  registry: Registry;
  /** metrics.public: no key needed (the scraper is on an internal network). */
  public: boolean;
  /** The admin keys that may scrape; empty when the admin API is off. */
  adminKeys: readonly AdminKeyConfig[];
  /** Shared with /admin/v1, so guessing the admin key here counts against the same budget. */
  limiter: FailureLimiter;
}

/**
 * GET /metrics, Prometheus text. Register without a prefix and not through
 * fastify-plugin: the admin auth hook must stay inside this scope. Metrics
 * name providers, model aliases and traffic, which a client key has no
 * business reading, so the door is the admin key's unless `metrics.public`.
 * Without any admin key the answer is a 401 saying how to open it (not a 404,
 * so a scraper's failing target says what is wrong).
 */
export async function metricsRoutes(app: FastifyInstance, opts: MetricsRoutesOptions): Promise<void> {
  if (!opts.public) {
    if (opts.adminKeys.length > 0) registerAdminAuth(app, opts.adminKeys, opts.limiter);
    else {
      app.addHook('onRequest', async () => {
        throw new AuthenticationError('GET /metrics needs the admin key, and this gateway has none enabled: set admin.keys, or metrics.public: true.', {
          code: 'admin_key_not_configured',
        });
      });
    }
  }
  const docs = documented({
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description: 'Needs the admin key unless `metrics.public: true`.',
    tags: ['operations'],
    auth: opts.public ? 'none' : 'admin',
    response: { 200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } } },
  });
  app.get('/metrics', docs, async (_request, reply) => {
    reply.type(opts.registry.contentType);
    return opts.registry.metrics();
  });
}
