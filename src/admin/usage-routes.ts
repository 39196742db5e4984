import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { USAGE_METRICS, type UsageMetric, type UsageRow } from '../budgets/ledger.js';
import { fromMicros } from '../budgets/pricing.js';
import { daysBetween, windowsAt } from '../budgets/windows.js';
import { DAY_MS } from '../clock.js';
import { InvalidRequestError } from '../errors.js';
import type { AdminDeps } from './plugin.js';
import { documented } from '../openapi/route-docs.js';
import { parseInput } from './request.js';

/** The longest span one usage query may cover. */
export const MAX_USAGE_DAYS = 366;
const GROUPS = ['day', 'key', 'model'] as const;
type Group = (typeof GROUPS)[number];

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a UTC day, YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

export const UsageQuerySchema = z.object({
  from: Day.optional(),
  to: Day.optional(),
  key: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  /** Comma-separated subset of day, key, model; default all three. Empty: one row of totals. */
  group_by: z
    .string()
    .refine((v) => v === '' || v.split(',').every((g) => (GROUPS as readonly string[]).includes(g)), "expected a comma-separated list of 'day', 'key' and 'model'")
    .optional(),
});

export const UsageRowSchema = z.strictObject({
  day: z.string().optional(),
  key_id: z.string().optional(),
  model: z.string().optional(),
  jobs_created: z.number().int(),
  jobs_completed: z.number().int(),
  jobs_failed: z.number().int(),
  seconds_reserved: z.number().int(),
  seconds_settled: z.number().int(),
  seconds_released: z.number().int(),
  usd: z.number(),
});
export const UsageListSchema = z.strictObject({ object: z.literal('list'), data: z.array(UsageRowSchema) });
export type UsageList = z.infer<typeof UsageListSchema>;

type Metrics = Record<UsageMetric, number>;
const zero = (): Metrics => Object.fromEntries(USAGE_METRICS.map((m) => [m, 0])) as Metrics;

/**
 * `/admin/v1/usage`: per group, jobs created, completed and failed; seconds
 * reserved (held now), settled (delivered) and released (given back); and the
 * estimated USD. Figures are filed under each job's creation day, so a day's
 * numbers close as its jobs finish.
 */
export async function usageRoutes(app: FastifyInstance, { ledger, clock }: AdminDeps): Promise<void> {
  const docs = documented({
    operationId: 'adminUsage',
    summary: 'Usage by day, key and model',
    description: 'Default: the 30 UTC days up to today, grouped by day, key and model; at most 366 days.',
    tags: ['admin'],
    querystring: UsageQuerySchema,
    response: { 200: UsageListSchema.describe('Usage rows.') },
    errors: [400],
  });
  app.get('/usage', docs, async (request): Promise<UsageList> => {
    const query = parseInput(UsageQuerySchema, request.query);
    const to = query.to ?? windowsAt(clock.now()).day;
    const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
    if (from > to) throw new InvalidRequestError("Invalid 'from': it is after 'to'.", { param: 'from' });
    const days = daysBetween(from, to, MAX_USAGE_DAYS + 1);
    if (days.length > MAX_USAGE_DAYS) throw new InvalidRequestError(`A usage query covers at most ${MAX_USAGE_DAYS} days.`, { param: 'from' });
    const groups = new Set<Group>(query.group_by === undefined ? GROUPS : query.group_by === '' ? [] : (query.group_by.split(',') as Group[]));

    const owners = await ledger.owners();
    const wanted = [...owners].filter(([, keyId]) => query.key === undefined || keyId === query.key);
    const rows = (await ledger.usage(wanted.map(([owner]) => owner), days)).filter((r) => query.model === undefined || r.model === query.model);

    const grouped = new Map<string, { row: { day?: string; key_id?: string; model?: string }; metrics: Metrics }>();
    for (const r of rows) {
      const keyId = owners.get(r.owner)!;
      const row = {
        ...(groups.has('day') ? { day: r.day } : {}),
        ...(groups.has('key') ? { key_id: keyId } : {}),
        ...(groups.has('model') ? { model: r.model } : {}),
      };
      const id = JSON.stringify(row);
      const entry = grouped.get(id) ?? { row, metrics: zero() };
      for (const m of USAGE_METRICS) entry.metrics[m] += (r as UsageRow).metrics[m];
      grouped.set(id, entry);
    }
    const data = [...grouped.values()]
      .sort((a, b) => (JSON.stringify([a.row.day, a.row.key_id, a.row.model]) < JSON.stringify([b.row.day, b.row.key_id, b.row.model]) ? -1 : 1))
      .map(({ row, metrics: { usd_micros, ...counts } }) => ({ ...row, ...counts, usd: fromMicros(usd_micros) }));
    return { object: 'list', data };
  });
}
