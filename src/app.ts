import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Budgets } from './budgets/budgets.js';
import type { BudgetLedger } from './budgets/ledger.js';
import type { Clock } from './clock.js';
import type { EventDispatcher } from './events/dispatcher.js';
import type { Config } from './config/schema.js';
import { ServiceUnavailableError } from './errors.js';
import { authPlugin } from './http/plugins/auth.js';
import { clientErrorHandler } from './http/client-errors.js';
import { busboyLimits } from './http/multipart-body.js';
import { bodyParsersPlugin } from './http/plugins/body-parsers.js';
import { budgetHeadersPlugin } from './http/plugins/budget-headers.js';
import { errorHandlerPlugin, sendError, toGatewayError } from './http/plugins/error-handler.js';
import { healthRoutes } from './http/routes/health.js';
import { metricsRoutes } from './http/routes/metrics.js';
import type { RequestFacts } from './http/request-facts.js';
import { openapiPlugin } from './openapi/plugin.js';
import { videoRoutes } from './http/routes/videos.js';
import { adminPlugin } from './admin/plugin.js';
import { createFailureLimiter } from './admin/failure-limiter.js';
import type { Authenticator } from './keys/authenticator.js';
import { createKeyAdmin } from './keys/key-admin.js';
import type { KeyStore } from './keys/key-store.js';
import type { JobPoller } from './polling/job-poller.js';
import type { Metrics } from './metrics.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { InflightStore } from './stores/inflight-store.js';
import type { StatusCachedStore } from './stores/status-cache.js';
import { adminApiEnabled } from './startup-banner.js';
import { createVideoService } from './videos/service.js';
import type { Custody } from './storage/custody.js';
import type { WebhookAdmin } from './webhooks/admin.js';

export interface AppDeps {
  config: Config;
  logger: FastifyBaseLogger;
  store: StatusCachedStore;
  inflight: InflightStore;
  /** Shared with the background poller, so inline refreshes and background polls of one job never overlap. */
  jobs: JobPoller;
  /** Spend per key: admission, settlement and the remaining-budget headers. */
  budgets: Budgets;
  /** Terminal events: a job terminal at create gets its event through here. */
  events: EventDispatcher;
  /** The budget ledger itself, for the admin usage report. */
  ledger: BudgetLedger;
  providers: ProviderRegistry;
  clock: Clock;
  metrics: Metrics;
  /** The shared Redis client when the store is Redis; rate limits count across instances through it. */
  redis?: Redis | Cluster | undefined;
  /** Dynamic keys and the audit log. */
  keyStore: KeyStore;
  /** /v1 authentication: config keys and the store's, through the cache (src/keys/key-resolver.ts). */
  authenticator: Authenticator;
  /** Content custody; absent with `storage.type: none`. */
  custody?: Custody | undefined;
  /** Webhook deliveries, for the admin API. */
  webhooks: WebhookAdmin;
}

/** Builds the whole application without listening; src/main.ts owns the process. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const { server, limits } = config;
  const uploadLimit = limits.upload_bytes;
  // A JSON body may carry a base64 data-URL image as large as an upload.
  const jsonLimit = uploadLimit + 64 * 1024;
  const headersTimeoutMs = server.headers_timeout_s * 1000;
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: () => `req_${randomUUID().replaceAll('-', '')}`,
    requestIdHeader: false,
    trustProxy: server.trust_proxy,
    // One line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: jsonLimit,
    // Fastify's own drain-time 503 is not OpenAI's envelope: the onRequest hook below answers it instead.
    return503OnClosing: false,
    // Sockets never idle forever: slow headers, slow bodies, idle keep-alive and silent peers all end.
    requestTimeout: server.request_timeout_s * 1000,
    keepAliveTimeout: server.keep_alive_timeout_s * 1000,
    connectionTimeout: server.connection_timeout_s * 1000,
    // Node checks header and request deadlines on this period; a quarter of the deadline keeps them close to exact.
    http: { headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(30_000, Math.max(100, headersTimeoutMs / 4)) },
    // Errors raised before routing (bad percent-encoding, an over-long id) and by the HTTP parser, in the envelope.
    frameworkErrors: (err, _request, reply) => sendError(reply, toGatewayError(err, jsonLimit)),
    clientErrorHandler,
  });

  // Set when app.close() begins; requests still arriving on open keep-alive connections get a 503 envelope.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.decorateRequest('logFacts', null as RequestFacts | null);
  app.addHook('onRequest', async (request, reply) => {
    request.logFacts = {};
    reply.header('x-request-id', request.id);
    if (draining) {
      throw new ServiceUnavailableError('Reelay is shutting down. Retry the request.', { code: 'shutting_down' });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: one label value per route, whatever ids or junk clients send.
    const route = request.routeOptions.url;
    // Set by the admin auth hook in its own scopes (/admin/v1, /metrics); absent on every other request.
    const admin = (request as { admin?: { name: string } | null }).admin;
    request.log.info(
      {
        method: request.method,
        url: request.url,
        route: route ?? 'unmatched',
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
        ...request.logFacts,
        ...(admin ? { adminName: admin.name } : {}),
      },
      'request completed',
    );
    deps.metrics.observeRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(errorHandlerPlugin, { jsonLimit, drain: { maxBytes: limits.drain_bytes, timeoutMs: server.request_timeout_s * 1000 } });
  await app.register(bodyParsersPlugin, { jsonLimit });
  await app.register(multipart, { limits: busboyLimits(uploadLimit) });
  // Before every route: it documents the routes as they are registered (src/openapi).
  await app.register(openapiPlugin);
  await app.register(healthRoutes, {
    store: deps.store,
    providers: deps.providers,
    details: config.readyz.details,
  });
  // One failure budget per address for both admin doors.
  const adminFailures = createFailureLimiter({ clock: deps.clock });
  await app.register(metricsRoutes, {
    registry: deps.metrics.registry,
    public: config.metrics.public,
    adminKeys: adminApiEnabled(config) ? config.admin.keys : [],
    limiter: adminFailures,
  });

  const videos = createVideoService({
    config,
    providers: deps.providers,
    store: deps.store,
    inflight: deps.inflight,
    jobs: deps.jobs,
    budgets: deps.budgets,
    events: deps.events,
    custody: deps.custody,
    clock: deps.clock,
    metrics: deps.metrics,
    // One connection to one server (or memory) runs writes in the order they were sent; a Cluster spreads them over nodes.
    writesInOrder: deps.redis?.isCluster !== true,
  });
  await app.register(
    async (v1) => {
      await v1.register(authPlugin, { keys: deps.authenticator });
      await v1.register(budgetHeadersPlugin, { budgets: deps.budgets });
      await v1.register(videoRoutes, { videos, budgets: deps.budgets, models: config.models, uploadBytes: uploadLimit, rateLimit: { redis: deps.redis, prefix: config.store.prefix, clock: deps.clock } });
    },
    { prefix: '/v1' },
  );
  if (adminApiEnabled(config)) {
    const keys = createKeyAdmin({ config, store: deps.keyStore, clock: deps.clock });
    await app.register(adminPlugin, { prefix: '/admin/v1', config, keys, store: deps.keyStore, tasks: deps.store, ledger: deps.ledger, webhooks: deps.webhooks, clock: deps.clock, limiter: adminFailures });
  }
  return app;
}
