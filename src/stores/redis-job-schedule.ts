import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { ClaimOptions, ClaimResult, JobSchedule, NextPoll, ScheduleStats } from './job-schedule.js';
import { execChecked, guardRedisStore } from './redis-errors.js';

export interface RedisJobScheduleOptions {
  /** Owned by the caller, who also closes it. */
  redis: Redis | Cluster;
  prefix: string;
  /** Lifetime of a job's poll hash after its last schedule or claim: garbage collection only. */
  ttlMs: number;
}

/**
 * Due-time index shards. One sorted set would put every instance's polling on
 * one Cluster node; 16 spread it while each shard stays a single key.
 */
export const DUE_SHARDS = 16;

const CLAIM = 'reelayClaimPoll';
const RELEASE = 'reelayReleasePoll';

/**
 * KEYS[1] the job's poll hash; KEYS[2], on one server only, the job's due
 * shard. ARGV: now, leaseMs, minIntervalMs, token, ttlMs, id, leaseUntil.
 * Lease check, min-interval check and the claim are one atomic step, so two
 * instances (or an instance and an inline refresh) can never both poll.
 */
const CLAIM_SCRIPT = `
local function claim()
  local now = tonumber(ARGV[1])
  local f = redis.call('HMGET', KEYS[1], 'leaseUntil', 'claimedAt', 'intervalMs')
  local leaseUntil = tonumber(f[1]) or 0
  if leaseUntil > now then return {'busy', tostring(leaseUntil)} end
  local claimedAt = tonumber(f[2])
  if claimedAt and claimedAt + tonumber(ARGV[3]) > now then return {'recent', tostring(claimedAt + tonumber(ARGV[3]))} end
  redis.call('HSET', KEYS[1], 'leaseUntil', ARGV[7], 'token', ARGV[4], 'claimedAt', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {'claimed', f[3] or ''}
end
local result = claim()
if result[1] == 'claimed' and KEYS[2] then redis.call('ZADD', KEYS[2], 'GT', ARGV[7], ARGV[6]) end
return result
`;

/**
 * KEYS[1] the job's poll hash; KEYS[2], on one server only, its due shard.
 * ARGV: token, intervalMs, dueAt, id. Only the lease holder may release.
 */
const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'leaseUntil', '0', 'token', '', 'intervalMs', ARGV[2])
if KEYS[2] then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end
return 1
`;

interface ScheduleCommands {
  /** Keys first, their count given: one (a Cluster) or two (one server). */
  [CLAIM](numKeys: number, ...keysThenArgs: string[]): Promise<[string, string]>;
  [RELEASE](numKeys: number, ...keysThenArgs: string[]): Promise<number>;
}

/**
 * JobSchedule on Redis or Redis Cluster.
 *
 *   `${prefix}video:{<id>}:poll`  hash: leaseUntil, token, claimedAt, intervalMs
 *                                 (the record's hash tag, so it lives in the record's slot)
 *   `${prefix}poll:{due-<n>}`     sorted set, member = id, score = next due time
 *
 * The hash is the truth about leases; the sorted sets are only an index of
 * when to look, so writing them in a second command (another slot) is safe:
 * a stale index entry costs one refused claim, never a second poll.
 */
export function createRedisJobSchedule(options: RedisJobScheduleOptions): JobSchedule {
  const { redis, prefix, ttlMs } = options;
  const pollKey = (id: string): string => `${prefix}video:{${id}}:poll`;
  const shardKey = (n: number): string => `${prefix}poll:{due-${n}}`;
  const dueKey = (id: string): string => shardKey(shardOf(id));
  const shards = Array.from({ length: DUE_SHARDS }, (_, n) => shardKey(n));

  // No fixed key count: on one server the due shard is the script's second key, so a claim or a
  // release is one round trip; a Cluster keeps the shard in another slot and writes it after.
  redis.defineCommand(CLAIM, { lua: CLAIM_SCRIPT });
  redis.defineCommand(RELEASE, { lua: RELEASE_SCRIPT });
  const oneServer = !redis.isCluster;
  // A lease token only has to differ from every other claim's: a random nonce per schedule and a counter,
  // rather than 12 random bytes per claim (a syscall-backed fill on every poll).
  const nonce = randomBytes(9).toString('base64url');
  let claims = 0;
  const nextToken = (): string => `${nonce}.${(++claims).toString(36)}`;
  const scripts = redis as unknown as ScheduleCommands;

  const readShards = async (now: number, limit: number): Promise<string[][]> => {
    const args = ['-inf', String(now), 'BYSCORE', 'LIMIT', '0', String(limit), 'WITHSCORES'] as const;
    // Each shard is its own slot on a Cluster, so there the reads go out side by side instead of in one pipeline.
    if (redis.isCluster) return Promise.all(shards.map((key) => redis.zrange(key, ...args)));
    const pipeline = redis.pipeline();
    for (const key of shards) pipeline.zrange(key, ...args);
    return (await execChecked(pipeline)) as string[][];
  };

  return guardRedisStore<JobSchedule>({
    async schedule(id, next: NextPoll) {
      const key = pollKey(id);
      const tx = redis.multi().hset(key, 'intervalMs', String(next.intervalMs)).pexpire(key, ttlMs);
      // One server: the index entry rides in the same MULTI (one round trip on the create path).
      if (!redis.isCluster) {
        await execChecked(tx.zadd(dueKey(id), next.dueAt, id));
        return;
      }
      await execChecked(tx);
      await redis.zadd(dueKey(id), next.dueAt, id);
    },

    async due(now, limit) {
      const batches = await readShards(now, limit);
      const scored: Array<[string, number]> = [];
      for (const flat of batches) {
        for (let i = 0; i + 1 < flat.length; i += 2) scored.push([flat[i] as string, Number(flat[i + 1])]);
      }
      return scored
        .sort((a, b) => a[1] - b[1])
        .slice(0, limit)
        .map(([id]) => id);
    },

    async claim(id, { now, leaseMs, minIntervalMs }: ClaimOptions): Promise<ClaimResult> {
      const token = nextToken();
      const leaseUntil = String(now + leaseMs);
      const args = [String(now), String(leaseMs), String(minIntervalMs), token, String(ttlMs), id, leaseUntil];
      const [kind, value] = oneServer ? await scripts[CLAIM](2, pollKey(id), dueKey(id), ...args) : await scripts[CLAIM](1, pollKey(id), ...args);
      if (kind === 'busy' || kind === 'recent') return { kind, until: Number(value) };
      // GT: only ever later, so a stale claimer cannot pull an adaptive due time forward.
      // Hidden from other pollers until the lease ends; if this instance dies, that is when another takes over.
      if (!oneServer) await redis.zadd(dueKey(id), 'GT', leaseUntil, id);
      return { kind: 'claimed', token, intervalMs: value === '' || value === undefined ? undefined : Number(value) };
    },

    async release(id, token, next: NextPoll) {
      const args = [token, String(next.intervalMs), String(next.dueAt), id];
      if (oneServer) return (await scripts[RELEASE](2, pollKey(id), dueKey(id), ...args)) === 1;
      const released = (await scripts[RELEASE](1, pollKey(id), ...args)) === 1;
      if (released) await redis.zadd(dueKey(id), next.dueAt, id);
      return released;
    },

    async holds(id, token) {
      return (await redis.hget(pollKey(id), 'token')) === token;
    },

    async unschedule(id) {
      if (oneServer) {
        await execChecked(redis.multi().del(pollKey(id)).zrem(dueKey(id), id));
        return;
      }
      await redis.del(pollKey(id));
      await redis.zrem(dueKey(id), id);
    },

    async stats(): Promise<ScheduleStats> {
      // Two O(1)/O(log n) reads per shard: the size and the lowest score, never a scan.
      const perShard = async (key: string): Promise<[number, string[]]> => [await redis.zcard(key), await redis.zrange(key, 0, 0, 'WITHSCORES')];
      let shardsRead: Array<[number, string[]]>;
      if (redis.isCluster) shardsRead = await Promise.all(shards.map(perShard));
      else {
        const pipeline = redis.pipeline();
        for (const key of shards) pipeline.zcard(key).zrange(key, 0, 0, 'WITHSCORES');
        const flat = (await execChecked(pipeline)) as Array<number | string[]>;
        shardsRead = shards.map((_, n) => [flat[2 * n] as number, flat[2 * n + 1] as string[]]);
      }
      let scheduled = 0;
      let oldestDueAt: number | undefined;
      for (const [size, lowest] of shardsRead) {
        scheduled += size;
        const score = lowest[1] === undefined ? undefined : Number(lowest[1]);
        if (score !== undefined && (oldestDueAt === undefined || score < oldestDueAt)) oldestDueAt = score;
      }
      return { scheduled, oldestDueAt };
    },
  });
}

/** FNV-1a: a stable shard for an id, the same in every instance. */
export function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % DUE_SHARDS;
}
