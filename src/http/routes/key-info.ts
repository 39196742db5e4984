import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Budgets } from '../../budgets/budgets.js';
import type { WindowTotals } from '../../budgets/ledger.js';
import { fromMicros } from '../../budgets/pricing.js';
import { documented } from '../../openapi/route-docs.js';

/**
 * `GET /v1/reelay/key`: the calling key's own limits, what is left and what it
 * used this UTC day and month. Reelay's one extension under /v1, so a client
 * can check its budget with the key it already has.
 */

const nullableInt = z.number().int().nullable();
const Spend = z.strictObject({ jobs: z.number().int(), seconds: z.number().int(), usd: z.number() });

export const KeyInfoSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** The key's own field names, as the admin API shows them; null where unlimited. */
  limits: z.strictObject({
    models: z.array(z.string()).nullable(),
    rpm: nullableInt,
    poll_rpm: nullableInt,
    max_concurrent: nullableInt,
    seconds_per_day: nullableInt,
    seconds_per_month: nullableInt,
    usd_per_month: z.number().nullable(),
  }),
  remaining: z.strictObject({ seconds_day: nullableInt, seconds_month: nullableInt, usd_month: z.number().nullable() }),
  usage: z.strictObject({ day: Spend, month: Spend }),
});
export type KeyInfo = z.infer<typeof KeyInfoSchema>;

const spend = (w: WindowTotals): z.infer<typeof Spend> => ({
  jobs: w.jobs,
  seconds: w.reserved + w.settled,
  usd: fromMicros(w.usdMicrosReserved + w.usdMicrosSettled),
});

export async function keyInfoRoutes(app: FastifyInstance, opts: { budgets: Budgets }): Promise<void> {
  const docs = documented({
    operationId: 'retrieveKeyInfo',
    summary: "The calling key's limits, what is left and its usage",
    description: 'Usage this UTC day and month; null where unlimited.',
    tags: ['key'],
    response: { 200: KeyInfoSchema.describe("The calling key's limits, remaining budget and usage.") },
  });
  app.get('/reelay/key', docs, async (request): Promise<KeyInfo> => {
    const p = request.principal;
    const { day, month, remaining } = await opts.budgets.usage(p);
    return {
      id: p.id,
      name: p.name,
      limits: {
        models: p.models ? [...p.models] : null,
        rpm: p.rpm ?? null,
        poll_rpm: p.pollRpm ?? null,
        max_concurrent: p.maxConcurrent ?? null,
        seconds_per_day: p.secondsPerDay ?? null,
        seconds_per_month: p.secondsPerMonth ?? null,
        usd_per_month: p.usdPerMonth ?? null,
      },
      remaining: {
        seconds_day: remaining.secondsDay ?? null,
        seconds_month: remaining.secondsMonth ?? null,
        usd_month: remaining.usdMicrosMonth === undefined ? null : fromMicros(remaining.usdMicrosMonth),
      },
      usage: { day: spend(day), month: spend(month) },
    };
  });
}
