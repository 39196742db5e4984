import { ReplyError, type ChainableCommander } from 'ioredis';
import { GatewayError, ServiceUnavailableError } from '../errors.js';

/**
 * The store boundary: whatever ioredis throws because Redis cannot serve right
 * now (refused or closed connection, offline queue disabled, command timeout,
 * cluster down, loading, failover) becomes one ServiceUnavailableError, so the
 * API answers 503 + retry-after instead of 500. Programming errors and corrupt
 * data keep their own class: a 503 would invite retries that cannot succeed.
 */

/** Reply errors Redis sends while it is (re)starting, failing over, out of memory or resharding. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|OOM|NOREPLICAS|MOVED|ASK)\b/;

/** Errors that are ours, not Redis's: they pass through unchanged. */
export class StoreDataError extends Error {
  override readonly name = 'StoreDataError';
}

export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof GatewayError || err instanceof StoreDataError) return false;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) return false;
  if (err instanceof (ReplyError as new () => Error)) return TRANSIENT_REPLY.test(err.message);
  // Connection-level failures: ioredis raises plain Errors (or MaxRetriesPerRequestError, ClusterAllFailedError) for them.
  return true;
}

export function storeUnavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('Reelay cannot reach its store right now. Retry shortly.', {
    code: 'store_unavailable',
    cause,
  });
}

/**
 * Wraps every async method of a Redis-backed store so unavailability surfaces
 * as ServiceUnavailableError. `ping` is left alone: /readyz wants the real cause.
 */
export function guardRedisStore<T extends object>(store: T): T {
  const guarded = {} as Record<string, unknown>;
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function' || name === 'ping') {
      guarded[name] = value;
      continue;
    }
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      } catch (err) {
        throw isRedisUnavailable(err) ? storeUnavailable(err) : err;
      }
    };
  }
  return guarded as T;
}

/** ioredis resolves a pipeline or MULTI even when one of its commands failed. */
export async function execChecked(chain: ChainableCommander): Promise<unknown[]> {
  const results = await chain.exec();
  if (results === null) throw new Error('Redis transaction was aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
