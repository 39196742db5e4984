import type { Clock } from '../clock.js';

export interface FailureLimiterOptions {
  clock: Clock;
  /** Failures from one address within `windowMs` that close the door to it. */
  maxFailures?: number;
  windowMs?: number;
  /** Addresses tracked at once; beyond that the oldest are forgotten, so memory stays bounded under a spray of addresses. */
  maxAddresses?: number;
}

/**
 * Failed admin authentications per client address, in this process (a
 * sliding window of failure times). Once an address has failed `maxFailures`
 * times within the window, every admin request from it gets 429 until the
 * oldest of those failures leaves the window, a correct key included:
 * otherwise guessing would go on at full speed, only with the answers hidden.
 */
export interface FailureLimiter {
  /** Seconds until `address` may try again, or undefined when it may now. */
  retryAfter(address: string): number | undefined;
  fail(address: string): void;
}

export function createFailureLimiter({ clock, maxFailures = 10, windowMs = 60_000, maxAddresses = 10_000 }: FailureLimiterOptions): FailureLimiter {
  const failures = new Map<string, number[]>();

  const recent = (address: string, now: number): number[] => {
    const times = (failures.get(address) ?? []).filter((t) => t > now - windowMs);
    if (times.length === 0) failures.delete(address);
    else failures.set(address, times);
    return times;
  };

  return {
    retryAfter(address) {
      const now = clock.now();
      const times = recent(address, now);
      if (times.length < maxFailures) return undefined;
      return Math.max(1, Math.ceil((times[times.length - maxFailures]! + windowMs - now) / 1000));
    },
    fail(address) {
      const now = clock.now();
      const times = [...recent(address, now), now].slice(-maxFailures);
      failures.delete(address);
      failures.set(address, times);
      while (failures.size > maxAddresses) failures.delete(failures.keys().next().value!);
    },
  };
}
