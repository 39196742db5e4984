import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../../clock.js';
import { RateLimitError } from '../../errors.js';
import { createRedisCounter } from '../../ratelimit/redis-counter.js';
import { createSharedCounter } from '../../ratelimit/shared-counter.js';
import { counterStore, flushEvery } from '../../ratelimit/store.js';

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
  /** When a window ends, read against Redis's answers (src/ratelimit), and the outage-warning pacing. */
  clock: Clock;
  /** How often counts made in process reach Redis; the cross-instance tolerance is one such period. */
  flushMs?: number;
}

const WINDOW_MS = 60_000;
const FLUSH_MS = 250;
/** At most one warning per bucket in this period while Redis cannot count: an outage must not flood the log. */
const WARN_EVERY_MS = 60_000;

const LIMIT: Record<RateLimitBucket, (request: FastifyRequest) => number | undefined> = {
  create: (request) => request.principal.rpm,
  poll: (request) => request.principal.pollRpm,
};

/**
 * @fastify/rate-limit for every route of the scope it is registered in, all
 * routes of the scope sharing one counter per key and minute, kept by our own
 * store (src/ratelimit): counted in process below half the limit, in Redis
 * (`<prefix>ratelimit:<bucket>:<owner>`, whose TTL is the window) from there on.
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
    let lastWarnAt = -Infinity;
    const counter = createSharedCounter({
      clock: opts.clock,
      remote: opts.redis ? createRedisCounter({ redis: opts.redis, keyPrefix: `${opts.prefix}ratelimit:${opts.bucket}:`, windowMs: WINDOW_MS }) : null,
      windowMs: WINDOW_MS,
      onError: (err) => {
        const now = opts.clock.now();
        if (now - lastWarnAt < WARN_EVERY_MS) return;
        lastWarnAt = now;
        app.log.warn({ err: { message: err instanceof Error ? err.message : String(err) }, bucket: opts.bucket }, 'rate limit: Redis cannot count; requests go on and their counts are sent once it answers');
      },
    });
    // Without Redis a flush only forgets ended windows, so memory stays bounded by the keys active in one.
    const timer = flushEvery(counter, opts.flushMs ?? FLUSH_MS);
    // Redis is disconnected only after the app has closed, so the last counts still reach it.
    app.addHook('onClose', async () => {
      await timer.stop();
    });
    await app.register(rateLimit, {
      global: true,
      store: counterStore(counter),
      skipOnError: true,
      timeWindow: WINDOW_MS,
      max: (request: FastifyRequest) => limitOf(request) ?? Number.MAX_SAFE_INTEGER,
      // Keys without a limit are not counted at all.
      allowList: (request: FastifyRequest) => limitOf(request) === undefined,
      keyGenerator: (request: FastifyRequest) => request.principal.owner,
      errorResponseBuilder: (_request, context) =>
        new RateLimitError(
          `Rate limit reached: ${context.max} ${opts.bucket === 'create' ? 'creates' : 'status, list and content requests'} per minute for this API key. Retry after ${Math.ceil(context.ttl / 1000)} s.`,
          context.ttl / 1000,
        ),
    });
  },
  { name: 'reelay-rate-limit' },
);
