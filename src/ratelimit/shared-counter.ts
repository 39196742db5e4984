import type { Clock } from '../clock.js';

/** Where counts meet across instances (Redis in production: redis-counter.ts). */
export interface CounterRemote {
  /** Adds `n` to `owner`'s count and answers the shared total after it, and the time left in its window (which the first add opens). */
  add(owner: string, n: number): Promise<RemoteCount>;
  /** Many adds in as few round trips as the remote allows; per add, its count or the error it met. */
  addAll(adds: readonly CounterAdd[]): Promise<Array<RemoteCount | Error>>;
}

export interface RemoteCount {
  total: number;
  /** Milliseconds left in the shared window. */
  ttlMs: number;
}

export interface CounterAdd {
  owner: string;
  n: number;
}

export interface Hit {
  /** This request's number in the window, as best known: what @fastify/rate-limit compares with max. */
  current: number;
  /** Milliseconds left in the window. */
  ttlMs: number;
}

export interface SharedCounter {
  /**
   * Counts one request of `owner` against `max`. Rejects only when the remote
   * could not count it; the request was still counted here and is sent again
   * with the next flush.
   */
  hit(owner: string, max: number): Promise<Hit>;
  /** Sends every count admitted here and not yet sent, in one batch, and forgets ended windows; never rejects. */
  flush(): Promise<void>;
}

export interface SharedCounterOptions {
  clock: Clock;
  /** null: one instance, counted in process only (exactly). */
  remote: CounterRemote | null;
  windowMs: number;
  /** The remote failed (a hit or a flush); the counts are kept for the next flush. */
  onError?: (err: unknown) => void;
}

/** One owner's counts in its current window. */
interface KeyState {
  /** When the window ends on the injected clock; undefined until the remote has answered once (its TTL says). */
  endsAt: number | undefined;
  /** The shared total the remote last answered (this window). */
  remote: number;
  /** Admitted here, not sent yet. */
  pending: number;
  /** Sent, no answer yet: still part of the estimate, or a burst of concurrent requests would all look cheap. */
  sending: number;
}

/**
 * A window per key that opens with the key's first request anywhere (as
 * @fastify/rate-limit's own Redis store counts), counted in process and
 * reconciled with a shared remote, which also says when the window ends.
 *
 * While a key stays below half its limit, requests are counted here only
 * (`pending`) and reach the remote with the next flush; at or past half, every
 * request goes to the remote, which counts it (with the pending ones) and
 * answers the exact total. The tolerance this buys: across instances a key can
 * be over-admitted by at most the requests the other instances admitted
 * locally and have not flushed yet (one flush period's worth, each below half
 * the limit); past half the limit is exact. A key with no answer from the
 * remote yet this window is always counted remotely, so limits of 4 or less
 * (a known total of 1 plus this request is already half) are always exact.
 *
 * Keys are owner tokens in a Map, so no owner name (`__proto__`, `constructor`)
 * can reach an object's prototype.
 */
export function createSharedCounter({ clock, remote, windowMs, onError = () => {} }: SharedCounterOptions): SharedCounter {
  const states = new Map<string, KeyState>();
  const ended = (state: KeyState, now: number): boolean => state.endsAt !== undefined && now >= state.endsAt;

  const stateFor = (owner: string, now: number): KeyState => {
    let state = states.get(owner);
    // An ended window is dropped with its unsent counts: they limit nothing any more.
    if (!state || ended(state, now)) {
      state = { endsAt: remote === null ? now + windowMs : undefined, remote: 0, pending: 0, sending: 0 };
      states.set(owner, state);
    }
    return state;
  };

  /** Takes the remote's answer: the largest total is the latest (answers of concurrent adds can arrive out of order). */
  const learn = (state: KeyState, count: RemoteCount, now: number): void => {
    state.remote = Math.max(state.remote, count.total);
    state.endsAt = now + count.ttlMs;
  };

  return {
    async hit(owner, max) {
      const now = clock.now();
      const state = stateFor(owner, now);
      if (remote === null) {
        state.remote += 1;
        return { current: state.remote, ttlMs: state.endsAt! - now };
      }
      const estimate = state.remote + state.sending + state.pending + 1;
      // Strictly below half, so a request that would make 2 of 4 already asks the remote.
      if (state.endsAt !== undefined && 2 * estimate < max) {
        state.pending += 1;
        return { current: estimate, ttlMs: state.endsAt - now };
      }
      const n = state.pending + 1;
      state.pending = 0;
      state.sending += n;
      try {
        const count = await remote.add(owner, n);
        learn(state, count, now);
        return { current: count.total, ttlMs: count.ttlMs };
      } catch (err) {
        // Counted again with the next flush; after a timeout the remote may have counted it already, which errs on the safe side.
        state.pending += n;
        onError(err);
        throw err;
      } finally {
        state.sending -= n;
      }
    },

    async flush() {
      const now = clock.now();
      const batch: Array<{ state: KeyState; add: CounterAdd }> = [];
      for (const [owner, state] of states) {
        if (ended(state, now)) {
          states.delete(owner);
          continue;
        }
        if (state.pending > 0) {
          batch.push({ state, add: { owner, n: state.pending } });
          state.sending += state.pending;
          state.pending = 0;
        }
      }
      // Without a remote nothing is ever pending: the batch is empty.
      if (remote === null || batch.length === 0) return;
      let results: Array<RemoteCount | Error>;
      try {
        results = await remote.addAll(batch.map((b) => b.add));
      } catch (err) {
        results = batch.map(() => (err instanceof Error ? err : new Error(String(err))));
      }
      let firstError: Error | undefined;
      batch.forEach(({ state, add }, i) => {
        const result = results[i] ?? new Error('no answer for this add');
        state.sending -= add.n;
        if (result instanceof Error) {
          state.pending += add.n;
          firstError ??= result;
        } else {
          learn(state, result, now);
        }
      });
      if (firstError) onError(firstError);
    },
  };
}
