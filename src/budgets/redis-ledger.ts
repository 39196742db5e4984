import type { Cluster, Redis } from 'ioredis';
import { DAY_MS } from '../clock.js';
import { execChecked, guardRedisStore } from '../stores/redis-errors.js';
import { inflightKey, ownerKeyPrefix, TAKE_SLOT_LUA } from '../stores/redis-inflight-store.js';
import { USAGE_METRICS, type AdmitResult, type BudgetLedger, type UsageMetric, type UsageRow, type WindowTotals } from './ledger.js';

export interface RedisBudgetLedgerOptions {
  /** Owned by the caller, who also closes it. */
  redis: Redis | Cluster;
  prefix: string;
  /** How long daily usage figures are kept for /admin/v1/usage. */
  usageDays?: number;
}

/**
 * BudgetLedger on Redis or Redis Cluster. Everything of one key sits under its
 * owner hash tag (beside its concurrency slots), so each step is one script:
 *   owner:{o}:inflight              slot set (shared with the InflightStore)
 *   owner:{o}:budget:day:<D>        hash jobs, reserved, settled, released, usd_reserved, usd_settled
 *   owner:{o}:budget:month:<M>      the same for the month
 *   owner:{o}:reservation:<job id>  hash state, model, seconds, usd
 *   owner:{o}:usage:<D>             hash `<model>|<metric>` → count, kept `usageDays`
 *   {budget-owners}                 hash owner → key id (usage reports span keys)
 * TTLs are relative to the caller's clock (windows come from the injected clock).
 */

const ADMIT = 'reelayBudgetAdmit';
const RELEASE = 'reelayBudgetRelease';
const SETTLE = 'reelayBudgetSettle';

/** Shared by the scripts: numbers of a window, and the reply's "what is left" (empty = no limit). */
const PRELUDE = `
local function num(v) return tonumber(v) or 0 end
local function left(limit, used)
  if limit == '' then return '' end
  local r = tonumber(limit) - used
  if r < 0 then r = 0 end
  return tostring(r)
end
`;

/**
 * KEYS: slots, day, month, reservation, usage. ARGV: now, concurrency limit, holdUntil, job id (as takeSlot reads them),
 * seconds, usd micros, day limit, month limit, usd limit, model, day TTL, month TTL, usage TTL.
 * Budget first, then the slot, then every count: nothing is written unless all of it fits.
 */
const ADMIT_SCRIPT = `${PRELUDE}${TAKE_SLOT_LUA}
local d = redis.call('HMGET', KEYS[2], 'reserved', 'settled')
local m = redis.call('HMGET', KEYS[3], 'reserved', 'settled', 'usd_reserved', 'usd_settled')
local dayUsed = num(d[1]) + num(d[2])
local monthUsed = num(m[1]) + num(m[2])
local usdUsed = num(m[3]) + num(m[4])
local function answer(status) return { status, left(ARGV[7], dayUsed), left(ARGV[8], monthUsed), left(ARGV[9], usdUsed) } end
if redis.call('EXISTS', KEYS[4]) == 1 then return answer('ok') end
local secs = tonumber(ARGV[5])
local usd = tonumber(ARGV[6])
if ARGV[7] ~= '' and dayUsed + secs > tonumber(ARGV[7]) then return answer('seconds_day') end
if ARGV[8] ~= '' and monthUsed + secs > tonumber(ARGV[8]) then return answer('seconds_month') end
if ARGV[9] ~= '' and usdUsed + usd > tonumber(ARGV[9]) then return answer('usd_month') end
if not takeSlot() then return answer('concurrency') end
for i = 2, 3 do
  redis.call('HINCRBY', KEYS[i], 'jobs', 1)
  redis.call('HINCRBY', KEYS[i], 'reserved', secs)
  redis.call('HINCRBY', KEYS[i], 'usd_reserved', usd)
end
redis.call('PEXPIRE', KEYS[2], ARGV[11])
redis.call('PEXPIRE', KEYS[3], ARGV[12])
redis.call('HSET', KEYS[4], 'state', 'reserved', 'model', ARGV[10], 'seconds', secs, 'usd', usd)
redis.call('PEXPIRE', KEYS[4], ARGV[12])
redis.call('HINCRBY', KEYS[5], ARGV[10] .. '|jobs_created', 1)
redis.call('HINCRBY', KEYS[5], ARGV[10] .. '|seconds_reserved', secs)
redis.call('HINCRBY', KEYS[5], ARGV[10] .. '|usd_micros', usd)
redis.call('PEXPIRE', KEYS[5], ARGV[13])
dayUsed = dayUsed + secs
monthUsed = monthUsed + secs
usdUsed = usdUsed + usd
return answer('ok')
`;

/** Adds to a hash only while it exists: a window that already expired is not brought back without a TTL. */
const BUMP = `
local function bump(key, field, by)
  if by ~= 0 and redis.call('EXISTS', key) == 1 then redis.call('HINCRBY', key, field, by) end
end
`;

/** KEYS: reservation, day, month, usage. ARGV: '1' when the provider refused the create (undo it whole). */
const RELEASE_SCRIPT = `${BUMP}
local h = redis.call('HMGET', KEYS[1], 'state', 'model', 'seconds', 'usd')
if h[1] ~= 'reserved' then return 0 end
local model, secs, usd = h[2], tonumber(h[3]), tonumber(h[4])
local rejected = ARGV[1] == '1'
for i = 2, 3 do
  bump(KEYS[i], 'reserved', -secs)
  bump(KEYS[i], 'usd_reserved', -usd)
  if rejected then bump(KEYS[i], 'jobs', -1) else bump(KEYS[i], 'released', secs) end
end
bump(KEYS[4], model .. '|seconds_reserved', -secs)
bump(KEYS[4], model .. '|usd_micros', -usd)
if rejected then
  bump(KEYS[4], model .. '|jobs_created', -1)
  redis.call('DEL', KEYS[1])
else
  bump(KEYS[4], model .. '|jobs_failed', 1)
  bump(KEYS[4], model .. '|seconds_released', secs)
  redis.call('HSET', KEYS[1], 'state', 'released')
end
return 1
`;

/** KEYS: reservation, day, month, usage. ARGV: delivered seconds. The estimate scales with what was delivered. */
const SETTLE_SCRIPT = `${BUMP}
local h = redis.call('HMGET', KEYS[1], 'state', 'model', 'seconds', 'usd')
if h[1] ~= 'reserved' then return 0 end
local model, secs, usd = h[2], tonumber(h[3]), tonumber(h[4])
local delivered = tonumber(ARGV[1])
local usdSettled = 0
if secs > 0 then usdSettled = math.floor(usd * delivered / secs + 0.5) end
local back = secs - delivered
if back < 0 then back = 0 end
for i = 2, 3 do
  bump(KEYS[i], 'reserved', -secs)
  bump(KEYS[i], 'settled', delivered)
  bump(KEYS[i], 'released', back)
  bump(KEYS[i], 'usd_reserved', -usd)
  bump(KEYS[i], 'usd_settled', usdSettled)
end
bump(KEYS[4], model .. '|jobs_completed', 1)
bump(KEYS[4], model .. '|seconds_reserved', -secs)
bump(KEYS[4], model .. '|seconds_settled', delivered)
bump(KEYS[4], model .. '|seconds_released', back)
bump(KEYS[4], model .. '|usd_micros', usdSettled - usd)
redis.call('HSET', KEYS[1], 'state', 'settled')
return 1
`;

interface BudgetCommands {
  [ADMIT](...args: string[]): Promise<[string, string, string, string]>;
  [RELEASE](...args: string[]): Promise<number>;
  [SETTLE](...args: string[]): Promise<number>;
}

/** Windows outlive their end a little, so the last figures can still be read and settled. */
const WINDOW_GRACE_MS = 2 * DAY_MS;
const MONTH_GRACE_MS = 35 * DAY_MS;

const toTotals = (h: Record<string, string>): WindowTotals => ({
  jobs: Number(h.jobs ?? 0),
  reserved: Number(h.reserved ?? 0),
  settled: Number(h.settled ?? 0),
  released: Number(h.released ?? 0),
  usdMicrosReserved: Number(h.usd_reserved ?? 0),
  usdMicrosSettled: Number(h.usd_settled ?? 0),
});

const optional = (v: string): number | undefined => (v === '' ? undefined : Number(v));
const limitArg = (v: number | undefined): string => (v === undefined ? '' : String(v));

export function createRedisBudgetLedger({ redis, prefix, usageDays = 400 }: RedisBudgetLedgerOptions): BudgetLedger {
  redis.defineCommand(ADMIT, { numberOfKeys: 5, lua: ADMIT_SCRIPT });
  redis.defineCommand(RELEASE, { numberOfKeys: 4, lua: RELEASE_SCRIPT });
  redis.defineCommand(SETTLE, { numberOfKeys: 4, lua: SETTLE_SCRIPT });
  const scripts = redis as unknown as BudgetCommands;
  const ownersKey = `${prefix}{budget-owners}`;
  const k = (owner: string) => {
    const base = ownerKeyPrefix(prefix, owner);
    return {
      day: (d: string) => `${base}budget:day:${d}`,
      month: (m: string) => `${base}budget:month:${m}`,
      reservation: (id: string) => `${base}reservation:${id}`,
      usage: (d: string) => `${base}usage:${d}`,
    };
  };
  const jobKeys = (owner: string, jobId: string, day: string, month: string) => {
    const keys = k(owner);
    return [keys.reservation(jobId), keys.day(day), keys.month(month), keys.usage(day)];
  };

  return guardRedisStore<BudgetLedger>({
    async admit(r): Promise<AdmitResult> {
      const keys = k(r.owner);
      const [status, day, month, usd] = await scripts[ADMIT](
        inflightKey(prefix, r.owner),
        keys.day(r.day),
        keys.month(r.month),
        keys.reservation(r.jobId),
        keys.usage(r.day),
        String(r.now),
        limitArg(r.limits.maxConcurrent),
        String(r.holdUntil),
        r.jobId,
        String(r.seconds),
        String(r.usdMicros),
        limitArg(r.limits.secondsPerDay),
        limitArg(r.limits.secondsPerMonth),
        limitArg(r.limits.usdMicrosPerMonth),
        r.model,
        String(Math.max(1, r.dayEndsAt - r.now + WINDOW_GRACE_MS)),
        String(Math.max(1, r.monthEndsAt - r.now + MONTH_GRACE_MS)),
        String(usageDays * DAY_MS),
      );
      const remaining = { secondsDay: optional(day), secondsMonth: optional(month), usdMicrosMonth: optional(usd) };
      if (status === 'ok') return { admitted: true, remaining };
      return { admitted: false, reason: status as Exclude<AdmitResult, { admitted: true }>['reason'], remaining };
    },

    async release(job, options = {}) {
      return (await scripts[RELEASE](...jobKeys(job.owner, job.jobId, job.day, job.month), options.rejected ? '1' : '')) === 1;
    },

    async settle(job, delivered) {
      return (await scripts[SETTLE](...jobKeys(job.owner, job.jobId, job.day, job.month), String(delivered))) === 1;
    },

    async totals(owner, day, month) {
      const keys = k(owner);
      // One slot: the two reads go out as one pipeline, one round trip.
      const [d, m] = (await execChecked(redis.pipeline().hgetall(keys.day(day)).hgetall(keys.month(month)))) as Record<string, string>[];
      return { day: toTotals(d ?? {}), month: toTotals(m ?? {}) };
    },

    async usage(owners, days) {
      const rows: UsageRow[] = [];
      for (const owner of owners) {
        const keys = k(owner);
        const pipeline = redis.pipeline();
        for (const day of days) pipeline.hgetall(keys.usage(day));
        const hashes = (await execChecked(pipeline)) as Record<string, string>[];
        hashes.forEach((hash, i) => {
          const byModel = new Map<string, Record<UsageMetric, number>>();
          for (const [field, value] of Object.entries(hash)) {
            const cut = field.lastIndexOf('|');
            const model = field.slice(0, cut);
            const metric = field.slice(cut + 1) as UsageMetric;
            if (!(USAGE_METRICS as readonly string[]).includes(metric)) continue;
            let metrics = byModel.get(model);
            if (!metrics) byModel.set(model, (metrics = Object.fromEntries(USAGE_METRICS.map((x) => [x, 0])) as Record<UsageMetric, number>));
            metrics[metric] = Number(value);
          }
          for (const [model, metrics] of byModel) rows.push({ owner, day: days[i]!, model, metrics });
        });
      }
      return rows;
    },

    async owners() {
      return new Map(Object.entries(await redis.hgetall(ownersKey)));
    },

    async registerOwner(owner, keyId) {
      await redis.hset(ownersKey, owner, keyId);
    },
  });
}
