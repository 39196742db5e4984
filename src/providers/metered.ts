import type { Clock } from '../clock.js';
import { GatewayError, NotFoundError, RateLimitError, UpstreamTimeoutError } from '../errors.js';
import type { Metrics, UpstreamOutcome, UpstreamVerb } from '../metrics.js';
import type { VideoProvider } from './types.js';

/**
 * An adapter's error, classified for `reelay_upstream_requests_total`. Adapters
 * already translate every failure into the GatewayError classes of
 * src/errors.ts (src/providers/http/upstream-errors.ts), so the class (and for
 * an abort, the code) says how the call ended without looking at the wire.
 */
export function upstreamOutcome(err: unknown): UpstreamOutcome {
  if (err instanceof UpstreamTimeoutError) return 'timeout';
  if (err instanceof RateLimitError) return 'rate_limited';
  if (err instanceof GatewayError) {
    if (err.code === 'upstream_aborted') return 'aborted';
    // 4xx other than 429: the upstream refused this request (bad input, unknown job), not a fault of the upstream.
    if (err instanceof NotFoundError || (err.status >= 400 && err.status < 500)) return 'rejected';
    return 'error';
  }
  if (err instanceof Error && err.name === 'AbortError') return 'aborted';
  return 'error';
}

/**
 * Wraps a provider so every upstream call is counted and timed by verb and
 * outcome, with no change to any adapter. Optional methods stay optional
 * (remix and delete are present exactly when the adapter has them), so
 * capability checks see the same provider. Durations come from the injected
 * clock; `content` is timed until its response headers, the body streams on.
 */
export function meteredProvider(provider: VideoProvider, metrics: Pick<Metrics, 'upstreamRequests' | 'upstreamDuration'>, clock: Clock): VideoProvider {
  const timed = async <T>(verb: UpstreamVerb, call: () => Promise<T>): Promise<T> => {
    const started = clock.now();
    let outcome: UpstreamOutcome = 'ok';
    try {
      return await call();
    } catch (err) {
      outcome = upstreamOutcome(err);
      throw err;
    } finally {
      const labels = { provider: provider.id, verb, outcome };
      metrics.upstreamRequests.inc(labels);
      metrics.upstreamDuration.observe(labels, Math.max(0, clock.now() - started) / 1000);
    }
  };
  const { remix, delete: remove, health, close } = provider;
  return {
    id: provider.id,
    type: provider.type,
    capabilities: provider.capabilities,
    create: (job, ctx) => timed('create', () => provider.create(job, ctx)),
    status: (ref, ctx) => timed('status', () => provider.status(ref, ctx)),
    content: (ref, req, ctx) => timed('content', () => provider.content(ref, req, ctx)),
    ...(remix ? { remix: (ref, prompt, ctx) => timed('remix', () => remix.call(provider, ref, prompt, ctx)) } : {}),
    ...(remove ? { delete: (ref, ctx) => timed('delete', () => remove.call(provider, ref, ctx)) } : {}),
    ...(health ? { health: () => health.call(provider) } : {}),
    ...(close ? { close: () => close.call(provider) } : {}),
  } satisfies VideoProvider;
}
