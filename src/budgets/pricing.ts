import type { PricingConfig } from '../config/schema.js';

/**
 * USD per second of video for a model alias and size: the size's own price
 * when the alias lists one, else the alias's. Undefined when the alias has no
 * price: a key with a USD budget cannot use it (a budget that silently counts
 * an unpriced model as free is the bug LiteLLM users hit, #21907).
 */
export function usdPerSecond(pricing: PricingConfig, alias: string, size: string): number | undefined {
  if (!Object.hasOwn(pricing, alias)) return undefined;
  const price = pricing[alias]!;
  return price.sizes && Object.hasOwn(price.sizes, size) ? price.sizes[size] : price.usd_per_second;
}

/** Whole micro-dollars keep sums exact across many jobs; reported as dollars rounded to 6 places. */
export const toMicros = (usd: number): number => Math.round(usd * 1_000_000);
export const fromMicros = (micros: number): number => Math.round(micros) / 1_000_000;
