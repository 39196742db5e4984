import { Agent, interceptors, type Dispatcher } from 'undici';

export interface DispatcherOptions {
  timeoutMs: number;
  connections?: number;
}

/**
 * One keep-alive pool per provider. Retries cover idempotent GETs only: undici's
 * retry interceptor leaves POST out by default, and it must stay out, or a
 * retried create could start a second paid job upstream.
 */
export function createProviderDispatcher({ timeoutMs, connections = 64 }: DispatcherOptions): Dispatcher {
  return new Agent({
    connections,
    connect: { timeout: Math.min(timeoutMs, 10_000) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  }).compose(
    interceptors.retry({
      methods: ['GET', 'HEAD'],
      maxRetries: 2,
      minTimeout: 200,
      maxTimeout: 2000,
      timeoutFactor: 2,
      statusCodes: [502, 503, 504],
      // Hand the last answer (and its error body) to the adapter instead of a bare
      // UND_ERR_REQ_RETRY: the body says what went wrong (e.g. 503 model_not_found).
      throwOnError: false,
    }),
  );
}
