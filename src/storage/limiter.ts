/**
 * At most `max` tasks at once; the rest wait their turn in order. A waiter
 * whose signal aborts leaves the queue at once with the signal's reason.
 */
export interface Limiter {
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export function createLimiter(max: number): Limiter {
  let active = 0;
  const waiting: Array<() => void> = [];

  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    signal?.throwIfAborted();
    if (active < max) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        waiting.splice(waiting.indexOf(take), 1);
        reject(signal!.reason);
      };
      // The slot is handed over as it is, so `active` stays counted for the new holder.
      const take = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waiting.push(take);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  return {
    async run(task, signal) {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
