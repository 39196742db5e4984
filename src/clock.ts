export const DAY_MS = 86_400_000;

/** Injected time source; tests drive timing-dependent code with their own. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
