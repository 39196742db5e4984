import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { SharedCounter } from './shared-counter.js';

type IncrCallback = Parameters<FastifyRateLimitStore['incr']>[1];

/**
 * A @fastify/rate-limit `store` over one SharedCounter. The plugin constructs
 * the class itself (`new Store(globalParams)`), so the counter comes in through
 * the closure. Its window is the counter's (opened by a key's first request), not the
 * plugin's `timeWindow`, which is the same length.
 */
export function counterStore(counter: SharedCounter): FastifyRateLimitStoreCtor {
  class CounterStore implements FastifyRateLimitStore {
    /** `route` keeps a per-route child's counts apart from the scope's, as the plugin's own stores do. */
    constructor(_globalParams?: unknown, private readonly route = '') {}

    incr(key: string, callback: IncrCallback, _timeWindow: number, max: number): void {
      void counter.hit(this.route + key, max).then(
        (hit) => callback(null, { current: hit.current, ttl: hit.ttlMs }),
        // With skipOnError the plugin lets the request go on; the counter kept its count for the next flush.
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    }

    child(routeOptions: unknown): FastifyRateLimitStore {
      return new CounterStore(undefined, `${this.route}${routeLabel(routeOptions)}-`);
    }
  }
  return CounterStore;
}

/** The plugin hands a child its merged params, with the route under `routeInfo`. */
function routeLabel(options: unknown): string {
  const info = (options as { routeInfo?: { method?: unknown; url?: unknown } } | null)?.routeInfo;
  return `${String(info?.method ?? '')}${String(info?.url ?? '')}`;
}

export interface FlushTimer {
  /** Stops the timer, waits for a flush in flight, then flushes what is left. */
  stop(): Promise<void>;
}

/**
 * Flushes `counter` every `flushMs`. The timer never holds the process open,
 * and a tick is skipped while the previous flush is still out (a slow Redis
 * must not pile up flushes).
 */
export function flushEvery(counter: SharedCounter, flushMs: number): FlushTimer {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    // flush() never rejects.
    running = counter.flush().finally(() => (running = undefined));
  }, flushMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await counter.flush();
    },
  };
}
