import type { Cluster, Redis } from 'ioredis';
import type { AcquireOptions, InflightStore } from './inflight-store.js';
import { guardRedisStore } from './redis-errors.js';

export interface RedisInflightStoreOptions {
  /** Owned by the caller, who also closes it. */
  redis: Redis | Cluster;
  prefix: string;
}

const ACQUIRE = 'reelayAcquireSlot';
const HOLD = 'reelayHoldSlot';

/**
 * Lua: `takeSlot()` frees expired slots, then takes one, or answers false when
 * the owner is at its limit. KEYS[1] the owner's slot set; ARGV: now, limit
 * ('' = none), holdUntil, id. Shared with the budget ledger, whose admission
 * takes the slot in the same script that reserves the seconds.
 */
export const TAKE_SLOT_LUA = `
local function takeSlot()
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and ARGV[2] ~= '' and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return false
  end
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  local ttl = tonumber(ARGV[3]) - tonumber(ARGV[1])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl, 'NX')
    redis.call('PEXPIRE', KEYS[1], ttl, 'GT')
  end
  return true
end
`;

const ACQUIRE_SCRIPT = `${TAKE_SLOT_LUA}
if takeSlot() then return 1 end
return 0
`;

/** KEYS[1] the owner's slot set. ARGV: now, until, id. XX: a released slot stays released. */
const HOLD_SCRIPT = `
local ttl = tonumber(ARGV[2]) - tonumber(ARGV[1])
if redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[2], ARGV[3]) == 1 and ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl, 'GT')
end
return 1
`;

interface SlotCommands {
  [ACQUIRE](key: string, now: string, limit: string, holdUntil: string, id: string): Promise<number>;
  [HOLD](key: string, now: string, until: string, id: string): Promise<number>;
}

/**
 * InflightStore on Redis or Redis Cluster:
 *   `${prefix}owner:{<URI-encoded owner>}:inflight`  sorted set, member = video id, score = slot deadline
 * It shares the owner index's hash tag, so it sits in the owner's slot; the
 * key expires with its latest deadline (a TTL relative to the caller's clock,
 * since deadlines come from the injected clock and Redis expiry from its own).
 */
/**
 * Every per-key Redis key starts here: one hash tag per owner, so the slot
 * set, budget windows and reservations of one key share a Cluster slot and a
 * Lua script may touch them together.
 */
export const ownerKeyPrefix = (prefix: string, owner: string): string => `${prefix}owner:{${encodeURIComponent(owner)}}:`;

export const inflightKey = (prefix: string, owner: string): string => `${ownerKeyPrefix(prefix, owner)}inflight`;

export function createRedisInflightStore({ redis, prefix }: RedisInflightStoreOptions): InflightStore {
  const key = (owner: string): string => inflightKey(prefix, owner);
  redis.defineCommand(ACQUIRE, { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
  redis.defineCommand(HOLD, { numberOfKeys: 1, lua: HOLD_SCRIPT });
  const scripts = redis as unknown as SlotCommands;

  return guardRedisStore<InflightStore>({
    async acquire(owner, id, { limit, now, holdUntil }: AcquireOptions) {
      return (await scripts[ACQUIRE](key(owner), String(now), limit === undefined ? '' : String(limit), String(holdUntil), id)) === 1;
    },

    async hold(owner, id, { now, until }) {
      await scripts[HOLD](key(owner), String(now), String(until), id);
    },

    async release(owner, id) {
      await redis.zrem(key(owner), id);
    },

    async count(owner, now) {
      return redis.zcount(key(owner), `(${now}`, '+inf');
    },
  });
}
