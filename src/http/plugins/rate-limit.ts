import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import { RateLimitError } from '../../errors.js';

export interface RateLimitOptions {
  /** Shared store across instances; in-process counters when absent. */
  redis?: Redis | Cluster | undefined;
  prefix: string;
}

/** Keys without an `rpm` are not limited; this is an effectively infinite allowance. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/**
 * @fastify/rate-limit, keyed by gateway key name, applied only to routes that
 * opt in through `config.rateLimit` (create and remix). Its 429 goes through
 * our error envelope; the plugin has already set retry-after and x-ratelimit-*.
 */
export const rateLimitPlugin = fp<RateLimitOptions>(
  async (app: FastifyInstance, opts) => {
    await app.register(rateLimit, {
      global: false,
      ...(opts.redis ? { redis: opts.redis, nameSpace: `${opts.prefix}ratelimit:` } : {}),
      skipOnError: true,
      keyGenerator: (request: FastifyRequest) => request.principal.name,
      errorResponseBuilder: (_request, context) =>
        new RateLimitError(
          `Rate limit reached: ${context.max} requests per ${context.after} for this API key. Retry after ${Math.ceil(context.ttl / 1000)} s.`,
          context.ttl / 1000,
        ),
    });
  },
  { name: 'reelay-rate-limit' },
);

export const createRouteLimit = {
  max: (request: FastifyRequest) => request.principal.rpm ?? UNLIMITED,
  timeWindow: 60_000,
};
