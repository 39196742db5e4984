import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import { RateLimitError } from '../../errors.js';

/**
 * Two budgets per gateway key: `create` (create and remix, `rpm`) and `poll`
 * (retrieve, list and content, `poll_rpm`), so a client polling hard never
 * starves its own creates.
 */
export type RateLimitBucket = 'create' | 'poll';

export interface RateLimitOptions {
  /** Shared store across instances; in-process counters when absent. */
  redis?: Redis | Cluster | undefined;
  prefix: string;
  bucket: RateLimitBucket;
}

const WINDOW_MS = 60_000;

const LIMIT: Record<RateLimitBucket, (request: FastifyRequest) => number | undefined> = {
  create: (request) => request.principal.rpm,
  poll: (request) => request.principal.pollRpm,
};

/**
 * @fastify/rate-limit for every route of the scope it is registered in, all
 * routes of the scope sharing one counter per key (`<prefix>ratelimit:<bucket>:<key owner token>`).
 * Register it once per bucket, each in its own encapsulated scope.
 *
 * Fails open (skipOnError): when Redis cannot count, the request goes on. A
 * rate limit is a fairness guard, not a safety one: max_concurrent, which
 * fails closed, is what bounds spend, and the store itself answers 503 when
 * Redis is really gone. Its 429 goes through our envelope; the plugin has
 * already set retry-after and x-ratelimit-*.
 */
export const rateLimitPlugin = fp<RateLimitOptions>(
  async (app: FastifyInstance, opts) => {
    const limitOf = LIMIT[opts.bucket];
    await app.register(rateLimit, {
      global: true,
      ...(opts.redis ? { redis: opts.redis } : {}),
      nameSpace: `${opts.prefix}ratelimit:${opts.bucket}:`,
      skipOnError: true,
      timeWindow: WINDOW_MS,
      max: (request: FastifyRequest) => limitOf(request) ?? Number.MAX_SAFE_INTEGER,
      // Keys without a limit are not counted at all.
      allowList: (request: FastifyRequest) => limitOf(request) === undefined,
      keyGenerator: (request: FastifyRequest) => request.principal.owner,
      errorResponseBuilder: (_request, context) =>
        new RateLimitError(
          `Rate limit reached: ${context.max} ${opts.bucket === 'create' ? 'creates' : 'status, list and content requests'} per ${context.after} for this API key. Retry after ${Math.ceil(context.ttl / 1000)} s.`,
          context.ttl / 1000,
        ),
    });
  },
  { name: 'reelay-rate-limit' },
);
