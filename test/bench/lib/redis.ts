import { Redis } from 'ioredis';

/**
 * The benchmark's own connection to the run's private Redis: to read what
 * Reelay wrote (a custody entry, the poll schedule) and to seed records
 * through Reelay's own store code. Never used on a measured request path.
 */
export async function benchRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return redis;
}

/** Polls `check` every `everyMs` until it returns a value, or throws `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
