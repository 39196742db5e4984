import type { Cluster, Redis } from 'ioredis';
import { StartupError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Streams, PEXPIRE NX/GT and the Lua the stores rely on need Redis 7. */
const MIN_MAJOR = 7;
/** Policies that never evict: Reelay's records are the only copy of upstream job ids. */
const SAFE_POLICIES = new Set(['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']);

const infoField = (info: string, field: string): string | undefined => new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/**
 * What start-up checks on the Redis it was given: a version it can run on
 * (else it refuses to start), and settings that keep data (else it warns:
 * managed services may hide CONFIG, and a cache-only Redis is a choice).
 */
export async function checkRedis(redis: Redis | Cluster, target: string, logger: Logger): Promise<void> {
  const info = await redis.info('server');
  const version = infoField(info, 'redis_version') ?? 'unknown';
  const major = Number(version.split('.')[0]);
  if (!(major >= MIN_MAJOR)) {
    throw new StartupError(`Redis at ${target} is version ${version}; Reelay needs Redis ${MIN_MAJOR} or later.`);
  }
  const settings: Record<string, string> = {};
  try {
    for (const name of ['appendonly', 'maxmemory-policy']) {
      const [, value] = (await redis.config('GET', name)) as [string, string];
      settings[name] = value;
    }
  } catch (err) {
    logger.warn({ redis: target, err: { message: (err as Error).message } }, 'cannot read the Redis configuration (CONFIG GET); make sure it persists (appendonly yes) and never evicts (maxmemory-policy noeviction)');
  }
  logger.info({ redis: target, version, ...settings }, 'connected to Redis');
  if (settings.appendonly === 'no') {
    logger.warn({ redis: target }, 'Redis has appendonly off: job records (the only copy of upstream job ids), keys and budgets are lost if it restarts; set appendonly yes');
  }
  const policy = settings['maxmemory-policy'];
  if (policy !== undefined && !SAFE_POLICIES.has(policy)) {
    logger.warn({ redis: target, maxmemoryPolicy: policy }, 'Redis may evict keys Reelay cannot lose (maxmemory-policy); set noeviction');
  }
}
