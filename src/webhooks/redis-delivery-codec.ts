import { StoreDataError } from '../stores/redis-errors.js';
import { DELIVERY_STATUSES, deliveryId, type Delivery, type DeliveryEvent, type DeliveryStatus, type Signer } from './delivery-store.js';

/**
 * How an event's deliveries sit in its Redis hash: the event's facts once
 * (`video_id`, `key_id`, `count`, `created_at`), then each delivery's facts
 * as `<n>:<field>`, one field per fact, so a script changes a delivery field
 * by field and never decodes JSON. Null is the empty string.
 */

const SIGNERS: readonly Signer[] = ['key', 'global'];

const field = (n: number, name: string): string => `${n}:${name}`;
const text = (v: number | string | null): string => (v === null ? '' : String(v));

/** HSET arguments for an event's fresh deliveries (all of one event). */
export function encodeDeliveries(event: DeliveryEvent, deliveries: readonly Delivery[]): string[] {
  const head = ['video_id', event.videoId, 'key_id', event.keyId, 'count', String(deliveries.length), 'created_at', String(deliveries[0]!.createdAt)];
  return [
    ...head,
    ...deliveries.flatMap((d, n) => [
      field(n, 'url'), d.url,
      field(n, 'signers'), d.signers.join(','),
      field(n, 'status'), d.status,
      field(n, 'attempts'), String(d.attempts),
      field(n, 'last_status_code'), text(d.lastStatusCode),
      field(n, 'last_error'), text(d.lastError),
      field(n, 'next_attempt_at'), text(d.nextAttemptAt),
      field(n, 'round'), String(d.round),
      field(n, 'round_started_at'), String(d.roundStartedAt),
      field(n, 'round_attempts'), String(d.roundAttempts),
      field(n, 'updated_at'), String(d.updatedAt),
    ]),
  ];
}

/** An event's deliveries from its hash (HGETALL as an object); empty when the hash is gone. */
export function decodeDeliveries(eventId: string, fields: Readonly<Record<string, string>>): Delivery[] {
  if (fields.count === undefined) return [];
  const bad = (what: string) => new StoreDataError(`webhook deliveries of ${eventId}: ${what}`);
  const int = (name: string): number => {
    const n = Number(fields[name]);
    if (fields[name] === undefined || !Number.isSafeInteger(n)) throw bad(`${name} is not an integer`);
    return n;
  };
  const nullableInt = (name: string): number | null => (fields[name] === '' ? null : int(name));
  const str = (name: string): string => {
    const v = fields[name];
    if (v === undefined) throw bad(`${name} is missing`);
    return v;
  };
  const count = int('count');
  const createdAt = int('created_at');
  const event = { eventId, videoId: str('video_id'), keyId: str('key_id') };
  return Array.from({ length: count }, (_, n): Delivery => {
    const status = str(field(n, 'status')) as DeliveryStatus;
    if (!DELIVERY_STATUSES.includes(status)) throw bad(`${field(n, 'status')} is not a status`);
    const signers = str(field(n, 'signers')).split(',') as Signer[];
    if (!signers.every((s) => SIGNERS.includes(s))) throw bad(`${field(n, 'signers')} is not a signer list`);
    const lastError = str(field(n, 'last_error'));
    return {
      ...event,
      id: deliveryId(eventId, n),
      url: str(field(n, 'url')),
      signers,
      status,
      attempts: int(field(n, 'attempts')),
      lastStatusCode: nullableInt(field(n, 'last_status_code')),
      lastError: lastError === '' ? null : lastError,
      nextAttemptAt: nullableInt(field(n, 'next_attempt_at')),
      round: int(field(n, 'round')),
      roundStartedAt: int(field(n, 'round_started_at')),
      roundAttempts: int(field(n, 'round_attempts')),
      createdAt,
      updatedAt: int(field(n, 'updated_at')),
    };
  });
}
