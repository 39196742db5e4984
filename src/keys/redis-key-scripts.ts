/**
 * The key registry's Lua scripts. Every change is one script: the check, the
 * write, its audit entry (XADD to a capped stream), the change counter (INCR)
 * and the announcement (PUBLISH `<seq> <key id>`), so a change is never
 * written without its audit entry, and never announced before it is written.
 *
 * Every change script takes the same seven keys, all under one hash tag (one
 * Cluster slot): the record, the digest index, the name index, the creation
 * order index, the last-use hash, the audit stream and the change counter.
 * ARGV starts with the key id, the audit entry (JSON), the stream's MAXLEN
 * and the channel; what follows is the script's own.
 */

export const CREATE_KEY = 'reelayKeyCreate';
export const UPDATE_KEY = 'reelayKeyUpdate';
export const ROTATE_KEY = 'reelayKeyRotate';
export const REVOKE_KEY = 'reelayKeyRevoke';
export const TOUCH_KEY = 'reelayKeyTouch';

const PROLOGUE = `
local rec, digests, names, order, used, audit, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id = ARGV[1]
local function announce()
  local auditId = redis.call('XADD', audit, 'MAXLEN', '~', ARGV[3], '*', 'e', ARGV[2])
  local n = redis.call('INCR', seq)
  redis.call('PUBLISH', ARGV[4], n .. ' ' .. id)
  return auditId
end
local function changed()
  local auditId = announce()
  return { 'ok', auditId, redis.call('HGET', used, id) or '', unpack(redis.call('HGETALL', rec)) }
end
`;

/** ARGV[5] name, [6] digest, [7] order member, [8…] the record's HSET pairs. */
const CREATE_SCRIPT = `${PROLOGUE}
if redis.call('HEXISTS', names, ARGV[5]) == 1 then return { 'name_taken' } end
redis.call('HSET', rec, unpack(ARGV, 8))
redis.call('HSET', digests, ARGV[6], id)
redis.call('HSET', names, ARGV[5], id)
redis.call('ZADD', order, 0, ARGV[7])
return changed()
`;

/**
 * ARGV[5] the new name ('' keeps it), [6] the webhook secret ('' leaves it,
 * '-' removes it, else it is set unless the key holds one: HSETNX, so of two
 * racing updates that both mint one, the first wins), [7] n,
 * [8 … 7+2n] fields to set, then fields to delete.
 */
const UPDATE_SCRIPT = `${PROLOGUE}
if redis.call('EXISTS', rec) == 0 then return { 'not_found' } end
if ARGV[5] ~= '' then
  local holder = redis.call('HGET', names, ARGV[5])
  if holder and holder ~= id then return { 'name_taken' } end
  redis.call('HDEL', names, redis.call('HGET', rec, 'name'))
  redis.call('HSET', names, ARGV[5], id)
  redis.call('HSET', rec, 'name', ARGV[5])
end
if ARGV[6] == '-' then redis.call('HDEL', rec, 'webhook_secret')
elseif ARGV[6] ~= '' then redis.call('HSETNX', rec, 'webhook_secret', ARGV[6]) end
local n = tonumber(ARGV[7])
for i = 8, 7 + 2 * n, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
for i = 8 + 2 * n, #ARGV do redis.call('HDEL', rec, ARGV[i]) end
return changed()
`;

/**
 * ARGV[5] the new digest, [6] its tail, [7] when the old secret stops ('' = now).
 * Only one rotated-out secret is kept: an earlier one stops here.
 */
const ROTATE_SCRIPT = `${PROLOGUE}
if redis.call('EXISTS', rec) == 0 then return { 'not_found' } end
local current = redis.call('HGET', rec, 'digest')
local previous = redis.call('HGET', rec, 'prev_digest')
if previous then redis.call('HDEL', digests, previous) end
if ARGV[7] == '' then
  redis.call('HDEL', digests, current)
  redis.call('HDEL', rec, 'prev_digest', 'prev_expires_at')
else
  redis.call('HSET', rec, 'prev_digest', current, 'prev_expires_at', ARGV[7])
end
redis.call('HSET', digests, ARGV[5], id)
redis.call('HSET', rec, 'digest', ARGV[5], 'tail', ARGV[6])
return changed()
`;

/** Removes the record and every index entry; answers the record as it was. */
const REVOKE_SCRIPT = `${PROLOGUE}
if redis.call('EXISTS', rec) == 0 then return { 'not_found' } end
local fields = redis.call('HGETALL', rec)
local lastUsed = redis.call('HGET', used, id) or ''
local current, previous, name, member = unpack(redis.call('HMGET', rec, 'digest', 'prev_digest', 'name', 'order'))
redis.call('HDEL', digests, current)
if previous then redis.call('HDEL', digests, previous) end
redis.call('HDEL', names, name)
redis.call('ZREM', order, member)
redis.call('HDEL', used, id)
redis.call('DEL', rec)
return { 'ok', announce(), lastUsed, unpack(fields) }
`;

/**
 * KEYS[1] the last-use hash, [2] the record. ARGV: id, at, the minimum gap,
 * '1' for a config key (which has no record). Not a change: no audit, no announcement.
 */
const TOUCH_SCRIPT = `
if ARGV[4] ~= '1' and redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local last = redis.call('HGET', KEYS[1], ARGV[1])
if last and tonumber(ARGV[2]) - tonumber(last) < tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

export const KEY_SCRIPTS = [
  [CREATE_KEY, 7, CREATE_SCRIPT],
  [UPDATE_KEY, 7, UPDATE_SCRIPT],
  [ROTATE_KEY, 7, ROTATE_SCRIPT],
  [REVOKE_KEY, 7, REVOKE_SCRIPT],
  [TOUCH_KEY, 2, TOUCH_SCRIPT],
] as const;

/** A change script's reply: a failure word, or 'ok', the audit id, the last use and the record's fields. */
export type ChangeReply = [string, ...string[]];

type ChangeCommand = (...keysThenArgs: string[]) => Promise<ChangeReply>;

export interface KeyCommands {
  [CREATE_KEY]: ChangeCommand;
  [UPDATE_KEY]: ChangeCommand;
  [ROTATE_KEY]: ChangeCommand;
  [REVOKE_KEY]: ChangeCommand;
  [TOUCH_KEY](used: string, record: string, id: string, at: string, gap: string, configKey: string): Promise<number>;
}
