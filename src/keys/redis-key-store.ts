import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { execChecked, guardRedisStore } from '../stores/redis-errors.js';
import type { AuditInput } from './audit.js';
import { decodeAuditEntry, decodeRecord, encodeRecord, encodeSettings, pairsToObject, settingField } from './redis-key-codec.js';
import { createRedisKeyChanges, type RedisKeyChanges } from './redis-key-changes.js';
import { CREATE_KEY, KEY_SCRIPTS, REVOKE_KEY, ROTATE_KEY, TOUCH_KEY, UPDATE_KEY, type ChangeReply, type KeyCommands } from './redis-key-scripts.js';
import { DEFAULT_AUDIT_MAX_ENTRIES, orderKey, TOUCH_INTERVAL_MS, type ChangeResult, type KeyRecord, type KeyStore } from './key-store.js';

export interface RedisKeyStoreOptions {
  /** Owned by the caller, who also closes it; the store duplicates it for its subscriber, which it closes. */
  redis: Redis | Cluster;
  prefix: string;
  logger: Logger;
  /** The audit stream is trimmed to about this many entries (MAXLEN ~). */
  auditMaxEntries?: number;
  /** See createRedisKeyChanges. */
  checkIntervalMs?: number;
  staleAfterMs?: number;
}

/** Every Redis key of the key registry: one hash tag, one Cluster slot, so one script can touch them all. */
export function keyRegistryKeys(prefix: string) {
  const base = `${prefix}{gatewaykeys}:`;
  return {
    record: (id: string) => `${base}key:${id}`,
    digests: `${base}digests`,
    names: `${base}names`,
    order: `${base}order`,
    used: `${base}used`,
    audit: `${base}audit`,
    seq: `${base}seq`,
    /** Not a key: the pub/sub channel changes are announced on. */
    channel: `${base}changes`,
  };
}

/**
 * KeyStore on Redis >= 7.0 or Redis Cluster.
 *
 * Layout (all under `${prefix}{gatewaykeys}:`):
 *   `key:<id>`  hash: id, name, digest, tail, created_at, order, [prev_digest, prev_expires_at], [webhook_secret],
 *               s:<setting> (JSON). webhook_secret is the whsec_… webhooks are signed with, as it is: a
 *               signer needs the secret itself, and whoever can read this hash can rewrite every key anyway
 *   `digests`   hash: secret digest → id (current and rotated-out secrets)
 *   `names`     hash: name → id
 *   `order`     sorted set, every score 0, member `<created_at, 16 digits>:<id>`: creation order by ZRANGE BYLEX
 *   `used`      hash: id → last use (ms), config keys included
 *   `audit`     stream of `e` = the entry as JSON, trimmed with MAXLEN ~
 *   `seq`       the change counter; channel `changes` carries `<seq> <id>` after each change
 */
export async function createRedisKeyStore(options: RedisKeyStoreOptions): Promise<KeyStore> {
  const { redis, prefix, logger } = options;
  const maxLen = String(options.auditMaxEntries ?? DEFAULT_AUDIT_MAX_ENTRIES);
  const k = keyRegistryKeys(prefix);
  for (const [name, numberOfKeys, lua] of KEY_SCRIPTS) redis.defineCommand(name, { numberOfKeys, lua });
  const scripts = redis as unknown as KeyCommands;
  const changeKeys = (id: string): string[] => [k.record(id), k.digests, k.names, k.order, k.used, k.audit, k.seq];

  const run = async (command: typeof CREATE_KEY | typeof UPDATE_KEY | typeof ROTATE_KEY | typeof REVOKE_KEY, id: string, audit: AuditInput, args: string[]): Promise<ChangeResult> => {
    const [status, auditId, usedAt, ...fields] = (await scripts[command](...changeKeys(id), id, JSON.stringify(audit), maxLen, k.channel, ...args)) as ChangeReply;
    if (status === 'not_found' || status === 'name_taken') return { ok: false, reason: status };
    return { ok: true, auditId: auditId!, record: decodeRecord(pairsToObject(fields), usedAt)! };
  };

  const get = async (id: string): Promise<KeyRecord | undefined> => {
    const [fields, usedAt] = (await execChecked(redis.multi().hgetall(k.record(id)).hget(k.used, id))) as [Record<string, string>, string | null];
    return decodeRecord(fields, usedAt);
  };

  const data = guardRedisStore<Omit<KeyStore, 'onChange' | 'isLive' | 'close'>>({
    async create(record, audit) {
      return run(CREATE_KEY, record.id, audit, [record.name, record.secretDigest, orderKey(record.createdAt, record.id), ...encodeRecord(record)]);
    },

    async update(id, patch, audit) {
      const set = encodeSettings(patch.set);
      const secret = patch.webhookSecret === undefined ? '' : patch.webhookSecret === null ? '-' : patch.webhookSecret;
      return run(UPDATE_KEY, id, audit, [patch.name ?? '', secret, String(set.length / 2), ...set, ...patch.clear.map(settingField)]);
    },

    async rotate(id, rotation, audit) {
      const until = rotation.previousExpiresAt === undefined ? '' : String(rotation.previousExpiresAt);
      return run(ROTATE_KEY, id, audit, [rotation.secretDigest, rotation.secretTail, until]);
    },

    async revoke(id, audit) {
      return run(REVOKE_KEY, id, audit, []);
    },

    get,

    async findByDigest(digest) {
      const id = await redis.hget(k.digests, digest);
      const record = id === null ? undefined : await get(id);
      // A rotation between the two reads may have retired this digest.
      return record && (record.secretDigest === digest || record.previous?.digest === digest) ? record : undefined;
    },

    async list({ after, limit }) {
      let floor = '-';
      if (after !== undefined) {
        const member = await redis.hget(k.record(after), 'order');
        if (member === null) return undefined;
        floor = `(${member}`;
      }
      const members = await redis.zrange(k.order, floor, '+', 'BYLEX', 'LIMIT', 0, limit + 1);
      const ids = members.map((m) => m.slice(m.indexOf(':') + 1));
      if (ids.length === 0) return { data: [], hasMore: false };
      // One slot: a pipeline is fine on Cluster too.
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(k.record(id));
      pipeline.hmget(k.used, ...ids);
      const replies = await execChecked(pipeline);
      const used = replies.pop() as Array<string | null>;
      const records = ids.flatMap((_, i) => decodeRecord(replies[i] as Record<string, string>, used[i]) ?? []);
      return { data: records.slice(0, limit), hasMore: members.length > limit };
    },

    async touch(id, at, { configKey = false } = {}) {
      await scripts[TOUCH_KEY](k.used, k.record(id), id, String(at), String(TOUCH_INTERVAL_MS), configKey ? '1' : '0');
    },

    async lastUsed(ids) {
      if (ids.length === 0) return [];
      const values = await redis.hmget(k.used, ...ids);
      return values.map((v) => (v === null ? null : Number(v)));
    },

    async appendAudit(entry) {
      return (await redis.xadd(k.audit, 'MAXLEN', '~', maxLen, '*', 'e', JSON.stringify(entry)))!;
    },

    async listAudit({ after, limit }) {
      const entries = (await redis.xrevrange(k.audit, after === undefined ? '+' : `(${after}`, '-', 'COUNT', limit + 1)) as Array<[string, string[]]>;
      return { data: entries.slice(0, limit).map(decodeAuditEntry), hasMore: entries.length > limit };
    },
  });

  const changes: RedisKeyChanges = await createRedisKeyChanges({
    redis,
    channel: k.channel,
    seqKey: k.seq,
    logger,
    ...(options.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.checkIntervalMs }),
    ...(options.staleAfterMs === undefined ? {} : { staleAfterMs: options.staleAfterMs }),
  });

  return { ...data, onChange: changes.onChange, isLive: changes.isLive, close: changes.close } satisfies KeyStore;
}
