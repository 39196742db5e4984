import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { CounterAdd, CounterRemote, RemoteCount } from './shared-counter.js';

export interface RedisCounterOptions {
  /** Owned by the caller, who also closes it. */
  redis: Redis | Cluster;
  /** Everything before the owner: `<store prefix>ratelimit:<bucket>:`. */
  keyPrefix: string;
  windowMs: number;
}

const ADD = 'reelayRateLimitAdd';

/**
 * KEYS[1] one owner's counter. ARGV: n, windowMs. The first add opens the
 * window (the key's TTL); every add answers the total and the time left, so
 * every instance ends the window when Redis does. No key is ever left
 * without a TTL.
 */
const ADD_SCRIPT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {total, ttl}
`;

interface AddCommand {
  [ADD](key: string, n: string, windowMs: string): Promise<[number, number]>;
}

/** The same command queued on a pipeline, which answers with the pipeline. */
interface AddPipeline {
  [ADD](key: string, n: string, windowMs: string): ChainableCommander;
}

/**
 * `<prefix>ratelimit:<bucket>:<URI-encoded owner>`: the owner token comes from
 * our own key records (a config key's name, a dynamic key's id), not from the
 * request, and is encoded anyway, so no `:` or `{…}` in a name can make two
 * owners meet or pin a Cluster slot.
 */
export const rateLimitKey = (keyPrefix: string, owner: string): string => `${keyPrefix}${encodeURIComponent(owner)}`;

const countOf = (reply: unknown): RemoteCount | Error => {
  if (Array.isArray(reply) && typeof reply[0] === 'number' && typeof reply[1] === 'number') return { total: reply[0], ttlMs: reply[1] };
  return new Error(`unexpected reply ${JSON.stringify(reply)}`);
};

const orThrow = (count: RemoteCount | Error): RemoteCount => {
  if (count instanceof Error) throw count;
  return count;
};

/** The shared counts on Redis or Redis Cluster. Each script touches one key, so keys may sit in any slot. */
export function createRedisCounter({ redis, keyPrefix, windowMs }: RedisCounterOptions): CounterRemote {
  redis.defineCommand(ADD, { numberOfKeys: 1, lua: ADD_SCRIPT });
  const scripts = redis as unknown as AddCommand;
  const window = String(windowMs);
  const keyOf = (add: CounterAdd): string => rateLimitKey(keyPrefix, add.owner);

  return {
    add: async (owner, n) => orThrow(countOf(await scripts[ADD](rateLimitKey(keyPrefix, owner), String(n), window))),

    async addAll(adds) {
      // A Cluster pipeline must stay in one slot; there the adds go out side by side instead.
      if (redis.isCluster) {
        const settled = await Promise.allSettled(adds.map((add) => scripts[ADD](keyOf(add), String(add.n), window)));
        return settled.map((s) => (s.status === 'fulfilled' ? countOf(s.value) : toError(s.reason)));
      }
      const pipeline = redis.pipeline();
      for (const add of adds) (pipeline as unknown as AddPipeline)[ADD](keyOf(add), String(add.n), window);
      // ioredis resolves a pipeline even when some of its commands failed: each reply carries its own error.
      const replies = await pipeline.exec();
      return adds.map((_, i) => {
        const [err, reply] = replies?.[i] ?? [new Error('the pipeline was discarded'), null];
        return err ?? countOf(reply);
      });
    },
  };
}

const toError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error(String(reason)));
