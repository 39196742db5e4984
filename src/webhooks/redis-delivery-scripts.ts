/**
 * The Lua behind the Redis DeliveryStore. Every script gets the event's hash
 * (KEYS[1]) and both indexes (KEYS[2] recent, KEYS[3] the key's), all under
 * one hash tag, so each call is one atomic step on Redis Cluster too.
 * ARGV[1…4] are common: now (ms), the TTL (ms), the retention cutoff (ms)
 * and the index cap.
 */

/** Moves a delivery to the top of both indexes, dropping entries past retention or beyond the cap. */
const PROLOGUE = `
local now, ttl, cutoff, cap = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local function touch(member)
  for i = 2, 3 do
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', cutoff)
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(cap + 1))
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
`;

export const OPEN_DELIVERIES = 'reelayOpenDeliveries';
export const RECORD_ATTEMPT = 'reelayRecordAttempt';
export const REQUEUE_DELIVERIES = 'reelayRequeueDeliveries';

/** ARGV[5] n, [6 … 5+n] the delivery ids, then the hash's field/value pairs. Only the first open writes. */
const OPEN_SCRIPT = `${PROLOGUE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], unpack(ARGV, 6 + n))
redis.call('PEXPIRE', KEYS[1], ttl)
for i = 6, 5 + n do touch(ARGV[i]) end
return 1
`;

/**
 * ARGV[5] the delivery's index, [6] its id, [7] the round the attempt was
 * made in, [8] status, [9] next_attempt_at, [10] last_status_code,
 * [11] last_error. The attempt always counts; its plan applies only to its round.
 */
const RECORD_SCRIPT = `${PROLOGUE}
local p = ARGV[5] .. ':'
if redis.call('HEXISTS', KEYS[1], p .. 'status') == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], p .. 'attempts', 1)
redis.call('HSET', KEYS[1], p .. 'last_status_code', ARGV[10], p .. 'last_error', ARGV[11], p .. 'updated_at', now)
if redis.call('HGET', KEYS[1], p .. 'round') == ARGV[7] then
  redis.call('HINCRBY', KEYS[1], p .. 'round_attempts', 1)
  redis.call('HSET', KEYS[1], p .. 'status', ARGV[8], p .. 'next_attempt_at', ARGV[9])
end
touch(ARGV[6])
return 1
`;

/** ARGV[5] the event id. A new round for every delivery of the event: pending, due now. */
const REQUEUE_SCRIPT = `${PROLOGUE}
local count = redis.call('HGET', KEYS[1], 'count')
if not count then return 0 end
for n = 0, tonumber(count) - 1 do
  local p = n .. ':'
  redis.call('HINCRBY', KEYS[1], p .. 'round', 1)
  redis.call('HSET', KEYS[1], p .. 'status', 'pending', p .. 'next_attempt_at', now, p .. 'round_started_at', now, p .. 'round_attempts', '0', p .. 'updated_at', now)
  touch(ARGV[5] .. ':' .. n)
end
return tonumber(count)
`;

export const DELIVERY_SCRIPTS = [
  [OPEN_DELIVERIES, OPEN_SCRIPT],
  [RECORD_ATTEMPT, RECORD_SCRIPT],
  [REQUEUE_DELIVERIES, REQUEUE_SCRIPT],
] as const;

type DeliveryCommand = (event: string, recent: string, keyIndex: string, ...args: string[]) => Promise<number>;

export interface DeliveryCommands {
  [OPEN_DELIVERIES]: DeliveryCommand;
  [RECORD_ATTEMPT]: DeliveryCommand;
  [REQUEUE_DELIVERIES]: DeliveryCommand;
}
