import type { Cluster, Redis } from 'ioredis';
import { DAY_MS, type Clock } from '../clock.js';
import { execChecked, guardRedisStore } from '../stores/redis-errors.js';
import {
  LIST_SCAN_LIMIT,
  newDeliveries,
  RECENT_MAX_ENTRIES,
  splitDeliveryId,
  type Delivery,
  type DeliveryStore,
} from './delivery-store.js';
import { decodeDeliveries, encodeDeliveries } from './redis-delivery-codec.js';
import { DELIVERY_SCRIPTS, OPEN_DELIVERIES, RECORD_ATTEMPT, REQUEUE_DELIVERIES, type DeliveryCommands } from './redis-delivery-scripts.js';

export interface RedisDeliveryStoreOptions {
  /** Owned by the caller, who also closes it. */
  redis: Redis | Cluster;
  prefix: string;
  /** Deliveries are kept as long as job records: `store.retention_days`. */
  retentionDays: number;
  clock: Clock;
}

/** Every Redis key of the delivery store: one hash tag, one Cluster slot, so every change is one script. */
export function deliveryKeys(prefix: string) {
  const base = `${prefix}{webhooks}:`;
  return {
    event: (eventId: string) => `${base}event:${eventId}`,
    recent: `${base}recent`,
    byKey: (keyId: string) => `${base}key:${keyId}`,
  };
}

/** Recent deliveries are read from an index this many at a time until a filtered page is full. */
const LIST_BATCH = 100;

/**
 * DeliveryStore on Redis >= 7.0 or Redis Cluster.
 *
 * Layout (all under `${prefix}{webhooks}:`):
 *   `event:<event id>`  hash: video_id, key_id, count, created_at, and per delivery n the fields
 *                       `<n>:url`, `<n>:signers`, `<n>:status`, `<n>:attempts`, `<n>:last_status_code`,
 *                       `<n>:last_error`, `<n>:next_attempt_at`, `<n>:round`, `<n>:round_started_at`,
 *                       `<n>:round_attempts`, `<n>:updated_at`; expires with the job records' retention
 *   `recent`            sorted set: delivery id (`<event id>:<n>`) scored by its last update (ms),
 *                       at most 10,000 entries, none past retention
 *   `key:<key id>`      the same, for one key's deliveries
 * One slot keeps every change one script; the volume (a delivery or two per finished video) is far
 * below what one slot serves.
 */
export function createRedisDeliveryStore({ redis, prefix, retentionDays, clock }: RedisDeliveryStoreOptions): DeliveryStore {
  const keys = deliveryKeys(prefix);
  const keepMs = retentionDays * DAY_MS;
  for (const [name, lua] of DELIVERY_SCRIPTS) redis.defineCommand(name, { numberOfKeys: 3, lua });
  const scripts = redis as unknown as DeliveryCommands;
  const common = (now: number): string[] => [String(now), String(keepMs), String(now - keepMs), String(RECENT_MAX_ENTRIES)];
  const keysOf = (eventId: string, keyId: string): [string, string, string] => [keys.event(eventId), keys.recent, keys.byKey(keyId)];

  /** An event's deliveries, unless past retention by the injected clock (the hash's TTL follows real time). */
  const live = (eventId: string, fields: Record<string, string>): Delivery[] => {
    const deliveries = decodeDeliveries(eventId, fields);
    return deliveries.length > 0 && deliveries[0]!.createdAt > clock.now() - keepMs ? deliveries : [];
  };
  const forEvent = async (eventId: string): Promise<Delivery[]> => live(eventId, await redis.hgetall(keys.event(eventId)));

  /** The deliveries these ids name, in order, skipping any whose event is gone. One slot: a pipeline is fine on Cluster. */
  const byIds = async (ids: readonly string[]): Promise<Delivery[]> => {
    if (ids.length === 0) return [];
    const eventIds = [...new Set(ids.map((id) => splitDeliveryId(id).eventId))];
    const pipeline = redis.pipeline();
    for (const eventId of eventIds) pipeline.hgetall(keys.event(eventId));
    const rows = (await execChecked(pipeline)) as Array<Record<string, string>>;
    const found = new Map(eventIds.flatMap((eventId, i) => live(eventId, rows[i]!)).map((d) => [d.id, d]));
    return ids.flatMap((id) => found.get(id) ?? []);
  };

  return guardRedisStore<DeliveryStore>({
    async open(event, targets, now) {
      const fresh = newDeliveries(event, targets, now);
      const ids = fresh.map((d) => d.id);
      await scripts[OPEN_DELIVERIES](...keysOf(event.eventId, event.keyId), ...common(now), String(ids.length), ...ids, ...encodeDeliveries(event, fresh));
      return forEvent(event.eventId);
    },

    forEvent,

    async record({ id, round, keyId }, outcome, now) {
      const { eventId, n } = splitDeliveryId(id);
      const plan = [outcome.status, outcome.nextAttemptAt ?? '', outcome.lastStatusCode ?? '', outcome.lastError ?? ''].map(String);
      const done = await scripts[RECORD_ATTEMPT](...keysOf(eventId, keyId), ...common(now), String(n), id, String(round), ...plan);
      return done === 1;
    },

    async requeue(eventId, now) {
      // The key id never changes once written; the script needs it up front to name the key's index.
      const [first] = await forEvent(eventId);
      if (!first) return [];
      await scripts[REQUEUE_DELIVERIES](...keysOf(eventId, first.keyId), ...common(now), eventId);
      return forEvent(eventId);
    },

    async list({ keyId, status, limit }) {
      const index = keyId === undefined ? keys.recent : keys.byKey(keyId);
      const oldest = clock.now() - keepMs;
      const page: Delivery[] = [];
      for (let offset = 0; offset < LIST_SCAN_LIMIT && page.length < limit; offset += LIST_BATCH) {
        const ids = await redis.zrevrangebyscore(index, '+inf', `(${oldest}`, 'LIMIT', offset, LIST_BATCH);
        const deliveries = await byIds(ids);
        page.push(...deliveries.filter((d) => status === undefined || d.status === status));
        if (ids.length < LIST_BATCH) break;
      }
      return page.slice(0, limit);
    },
  });
}
