import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { DAY_MS, type Clock } from '../clock.js';
import type { VideoEvent } from '../events/event.js';
import type { HandlerState, Outbox } from '../events/handler.js';
import type { Logger } from '../logger.js';
import { TERMINAL_STATUSES, type Variant } from '../openai/videos.js';
import type { CustodyEntry, CustodyFiles } from '../storage/custody-record.js';
import { videoIdFloor } from '../videos/video-id.js';
import { execChecked, guardRedisStore, StoreDataError } from './redis-errors.js';
import type { ListOptions, ListPage, TaskRecord, TaskState, TaskStore, UpdateResult } from './task-store.js';


export interface RedisTaskStoreOptions {
  /** Owned by the caller, who also closes it: the store never connects or quits. */
  redis: Redis | Cluster;
  /** Starts every key. A prefix holding a `{…}` hash tag puts all keys in one slot. */
  prefix: string;
  retentionDays: number;
  clock: Clock;
  logger: Logger;
  /** ping() gives up after this long, so /readyz answers even while ioredis queues commands offline. */
  pingTimeoutMs?: number;
}

/** The part of a record that never changes after put; stored as JSON in the `rec` field. */
type RecordBody = Omit<TaskRecord, 'state' | 'updatedAt' | 'outbox' | 'custody'>;

const UPDATE_COMMAND = 'reelayUpdateTaskState';
const HANDLER_COMMAND = 'reelayUpdateTaskHandler';
const CUSTODY_COMMAND = 'reelayUpdateTaskCustody';

/** The outbox lives in the record's own hash: `event` (JSON) and one `h:<handler>` field per pending handler. */
const HANDLER_FIELD = 'h:';
/** Custody: one `c:<variant>` field (JSON) per file, so writers of different variants never race on one field. */
const CUSTODY_FIELD = 'c:';

const outboxFields = (outbox: Outbox | undefined): string[] =>
  outbox ? ['event', JSON.stringify(outbox.event), ...Object.entries(outbox.pending).flatMap(([name, st]) => [`${HANDLER_FIELD}${name}`, JSON.stringify(st)])] : [];

/**
 * Terminal states are written once, so the check and the write must be one
 * atomic step against concurrent pollers. Expiry is judged by the caller's
 * clock (ARGV[4] is the cutoff) to agree with get and list; HSET keeps the TTL.
 * ARGV[5…] are the outbox's field/value pairs, written only by the write that wins.
 */
const UPDATE_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'status', 'rec')
local status = fields[1]
if not status then return 'missing' end
if tonumber(cjson.decode(fields[2]).createdAt) <= tonumber(ARGV[4]) then return 'missing' end
local terminal = { ${[...TERMINAL_STATUSES].map((s) => `[${JSON.stringify(s)}] = true`).join(', ')} }
if terminal[status] then return 'terminal' end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'status', ARGV[2], 'updatedAt', ARGV[3])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 'updated'
`;

/** KEYS[1] the record. ARGV: the handler's field, its new state ('' = finished). Only a record with an event changes. */
const HANDLER_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], 'event') == 0 then return 0 end
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`;

/**
 * KEYS[1] the record. ARGV: the variant's field, its entry (JSON), the retention
 * cutoff. Only a live record changes; a deleted or expired one is never recreated.
 */
const CUSTODY_SCRIPT = `
local rec = redis.call('HGET', KEYS[1], 'rec')
if not rec then return 0 end
if tonumber(cjson.decode(rec).createdAt) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

interface UpdateCommand {
  [UPDATE_COMMAND](key: string, state: string, status: string, updatedAt: string, cutoff: string, ...outbox: string[]): Promise<UpdateResult>;
  [HANDLER_COMMAND](key: string, field: string, state: string): Promise<number>;
  [CUSTODY_COMMAND](key: string, field: string, entry: string, cutoff: string): Promise<number>;
}

/**
 * TaskStore on Redis >= 7.0 or Redis Cluster.
 *
 * Layout (each key carries a hash tag, so nothing here ever needs two slots at once):
 *   `${prefix}video:{<id>}`                 hash: rec (JSON), state (JSON), status, updatedAt,
 *                                           event + h:<handler> (the outbox), c:<variant> (custody)
 *   `${prefix}owner:{<owner, URI-encoded>}:videos`  sorted set, every score 0, member = id
 * Equal scores make the set order lexical, and ids sort by creation time, so
 * ZRANGE BYLEX pages through an owner's videos in creation order.
 *
 * Hashes expire with PEXPIRE at createdAt + retention; the owner index is
 * trimmed on put and cleaned lazily on list, and expires itself with its newest entry.
 */
export function createRedisTaskStore(options: RedisTaskStoreOptions): TaskStore {
  const { redis, prefix, clock, logger, pingTimeoutMs = 2000 } = options;
  const keepMs = options.retentionDays * DAY_MS;
  const recordKey = (id: string): string => `${prefix}video:{${id}}`;
  const indexKey = (owner: string): string => `${prefix}owner:{${encodeURIComponent(owner)}}:videos`;
  const cutoff = (): number => clock.now() - keepMs;

  redis.defineCommand(UPDATE_COMMAND, { numberOfKeys: 1, lua: UPDATE_SCRIPT });
  redis.defineCommand(HANDLER_COMMAND, { numberOfKeys: 1, lua: HANDLER_SCRIPT });
  redis.defineCommand(CUSTODY_COMMAND, { numberOfKeys: 1, lua: CUSTODY_SCRIPT });
  const scripts = redis as unknown as UpdateCommand;

  /** Every field of many records in one round trip. */
  const readRows = async (ids: readonly string[]): Promise<Array<Record<string, string>>> => {
    // A Cluster pipeline must stay within one slot and every record has its own,
    // so there concurrent commands (which ioredis still writes back to back) stand in for it.
    if (redis.isCluster) return Promise.all(ids.map((id) => redis.hgetall(recordKey(id))));
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(recordKey(id));
    return (await execChecked(pipeline)) as Array<Record<string, string>>;
  };

  /** The live record of a row, or undefined when it is gone or past retention. */
  const decodeRow = (id: string, row: Readonly<Record<string, string>>, oldestLive: number): TaskRecord | undefined => {
    const { rec, state, updatedAt } = row;
    if (rec === undefined || state === undefined || updatedAt === undefined) return undefined;
    const record = decode(id, row);
    return record.createdAt > oldestLive ? record : undefined;
  };

  return guardRedisStore<TaskStore>({
    async put(record) {
      const ttl = record.createdAt + keepMs - clock.now();
      if (ttl <= 0) {
        logger.warn({ videoId: record.id }, 'not storing a video record already past retention');
        return;
      }
      // Custody is never put (see TaskRecord.custody); HSET leaves the c: fields already there alone.
      const { state, updatedAt, outbox, custody: _custody, ...body } = record;
      const key = recordKey(record.id);
      const recordTx = redis
        .multi()
        .hset(key, 'rec', JSON.stringify(body), 'state', JSON.stringify(state), 'status', state.status, 'updatedAt', String(updatedAt), ...outboxFields(outbox))
        .pexpire(key, ttl);
      const index = indexKey(record.owner);
      const indexed = (tx: ChainableCommander) =>
        tx
          .zadd(index, 0, record.id)
          .zremrangebylex(index, '-', `(${videoIdFloor(cutoff())}`)
          // NX sets a TTL on a new index; GT only ever extends it, so the index lives as long as its newest entry.
          .pexpire(index, ttl, 'NX')
          .pexpire(index, ttl, 'GT');
      // The record goes first: list treats an index entry without a record as
      // stale and removes it, so the reverse order could lose a fresh video.
      // One server: one MULTI, one round trip on the create path. A Cluster
      // keeps the index in another slot, hence a second transaction after the first.
      if (!redis.isCluster) {
        await execChecked(indexed(recordTx));
        return;
      }
      await execChecked(recordTx);
      await execChecked(indexed(redis.multi()));
    },

    async get(id) {
      return decodeRow(id, await redis.hgetall(recordKey(id)), cutoff());
    },

    async updateState(id: string, state: TaskState, updatedAt: number, outbox?: Outbox): Promise<UpdateResult> {
      return scripts[UPDATE_COMMAND](recordKey(id), JSON.stringify(state), state.status, String(updatedAt), String(cutoff()), ...outboxFields(outbox));
    },

    async updateHandler(id, handler, next) {
      return (await scripts[HANDLER_COMMAND](recordKey(id), `${HANDLER_FIELD}${handler}`, next ? JSON.stringify(next) : '')) === 1;
    },

    async updateCustody(id, variant, entry) {
      return (await scripts[CUSTODY_COMMAND](recordKey(id), `${CUSTODY_FIELD}${variant}`, JSON.stringify(entry), String(cutoff()))) === 1;
    },

    async delete(id) {
      const key = recordKey(id);
      const rec = await redis.hget(key, 'rec');
      if (rec === null) return false;
      const body = parseJson<RecordBody>(id, 'rec', rec);
      if (body.createdAt <= cutoff()) return false;
      const removed = await redis.del(key);
      await redis.zrem(indexKey(body.owner), id);
      return removed === 1;
    },

    async list(owner: string, { after, limit, order }: ListOptions): Promise<ListPage> {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`list limit must be a positive integer, got ${limit}`);
      const key = indexKey(owner);
      const oldestLive = cutoff();
      const page: TaskRecord[] = [];
      const stale: string[] = [];
      let cursor = after;
      // One record beyond the limit tells whether another page exists; stale
      // entries are skipped and the next batch read until the page is full.
      while (page.length <= limit) {
        const want = limit + 1 - page.length;
        const ids =
          order === 'asc'
            ? await redis.zrange(key, cursor === undefined ? '-' : `(${cursor}`, '+', 'BYLEX', 'LIMIT', 0, want)
            : await redis.zrange(key, cursor === undefined ? '+' : `(${cursor}`, '-', 'BYLEX', 'REV', 'LIMIT', 0, want);
        if (ids.length === 0) break;
        const rows = await readRows(ids);
        ids.forEach((id, i) => {
          const record = decodeRow(id, rows[i] ?? {}, oldestLive);
          if (record) page.push(record);
          else stale.push(id);
        });
        cursor = ids[ids.length - 1];
        if (ids.length < want) break;
      }
      if (stale.length > 0) await removeStale(key, stale);
      return { data: page.slice(0, limit), hasMore: page.length > limit };
    },

    async ping() {
      const reply = redis.ping();
      // The reply may still settle after the timeout; it must not become an unhandled rejection.
      reply.catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer PING within ${pingTimeoutMs} ms`)), pingTimeoutMs);
      });
      try {
        const pong = await Promise.race([reply, timeout]);
        if (pong !== 'PONG') throw new Error(`Redis answered PING with ${JSON.stringify(pong)}`);
      } finally {
        clearTimeout(timer);
      }
    },

    // The client belongs to the caller; the script is only cached on the server.
    async close() {},
  });

  /** Cleanup on a read path is best effort: the page is already correct without it. */
  async function removeStale(key: string, ids: string[]): Promise<void> {
    try {
      await redis.zrem(key, ...ids);
      logger.debug({ count: ids.length }, 'removed expired videos from an owner index');
    } catch (err) {
      logger.warn({ err }, 'could not remove expired videos from an owner index');
    }
  }
}

function decode(id: string, row: Readonly<Record<string, string>>): TaskRecord {
  const record: TaskRecord = {
    ...parseJson<RecordBody>(id, 'rec', row.rec!),
    updatedAt: Number(row.updatedAt),
    state: parseJson<TaskState>(id, 'state', row.state!),
  };
  if (row.event !== undefined) {
    const pending: Outbox['pending'] = {};
    for (const [field, value] of Object.entries(row)) {
      if (field.startsWith(HANDLER_FIELD)) pending[field.slice(HANDLER_FIELD.length)] = parseJson<HandlerState>(id, field, value);
    }
    record.outbox = { event: parseJson<VideoEvent>(id, 'event', row.event), pending };
  }
  const custody: CustodyFiles = {};
  for (const [field, value] of Object.entries(row)) {
    if (field.startsWith(CUSTODY_FIELD)) custody[field.slice(CUSTODY_FIELD.length) as Variant] = parseJson<CustodyEntry>(id, field, value);
  }
  if (Object.keys(custody).length > 0) record.custody = custody;
  return record;
}

function parseJson<T>(id: string, field: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new StoreDataError(`corrupt field "${field}" in the stored record of ${id}`, { cause });
  }
}
