/**
 * DeliveryStore: the state of every webhook delivery, one per (event,
 * target), so a restart or a dead instance loses nothing. Writes happen under
 * the job's poll lease (the handler's, or the admin's for a redelivery), so
 * the store needs no locking of its own beyond making each call one atomic
 * step. Two implementations (memory, Redis) pass
 * test/webhooks/delivery-store.contract.ts. Times are ms since the epoch.
 */

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'refused'] as const;
/** pending: an attempt is due at `nextAttemptAt`; failed: retries used up, or 410; refused: the SSRF guard. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Whose secret signs a delivery: its key's, the global `webhooks.secret`, or both when both name the same URL. */
export type Signer = 'key' | 'global';

/** What a delivery is for: the video's one lifecycle event. */
export interface DeliveryEvent {
  eventId: string;
  videoId: string;
  /** The public id of the key the video belongs to. */
  keyId: string;
}

/** A target as the handler resolves it when the event is first handled. */
export interface DeliveryTarget {
  url: string;
  signers: readonly Signer[];
}

export interface Delivery extends DeliveryEvent, DeliveryTarget {
  /** `<event id>:<n>`: stable, and orders an event's deliveries. */
  id: string;
  status: DeliveryStatus;
  /** Every attempt ever made, redeliveries included. */
  attempts: number;
  /** The last response's status; null before one, or when the last attempt got none. */
  lastStatusCode: number | null;
  /** Why the last attempt did not deliver (`HTTP 500`, `timed out after …`); null once delivered. */
  lastError: string | null;
  /** When the next attempt is due; null unless pending. */
  nextAttemptAt: number | null;
  /** Bumped by each redelivery; an attempt's outcome only moves the round it was made in. */
  round: number;
  /** When the current round began: the 24 h retry window and max_attempts count from here. */
  roundStartedAt: number;
  roundAttempts: number;
  createdAt: number;
  updatedAt: number;
}

/** One attempt's outcome, as the handler decided it. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

export interface DeliveryFilter {
  keyId?: string | undefined;
  status?: DeliveryStatus | undefined;
  limit: number;
}

export interface DeliveryStore {
  /**
   * Records an event's deliveries, pending and due at `now`, unless it has
   * some already; answers the event's deliveries as stored either way (a
   * handler that ran twice sees the first run's). `targets` is not empty.
   */
  open(event: DeliveryEvent, targets: readonly DeliveryTarget[], now: number): Promise<Delivery[]>;
  /** The event's deliveries in id order; empty when it has none (or they are past retention). */
  forEvent(eventId: string): Promise<Delivery[]>;
  /**
   * Counts one attempt of `delivery` and, if its round is still the current
   * one, applies `outcome`. A redelivery during the attempt started a new
   * round, whose plan stands: only the attempt's status code and error are
   * kept. False when the delivery is gone.
   */
  record(delivery: Pick<Delivery, 'id' | 'round' | 'keyId'>, outcome: AttemptOutcome, now: number): Promise<boolean>;
  /** Starts a new round for each of the event's deliveries: pending, due at `now`; answers them (empty when none). */
  requeue(eventId: string, now: number): Promise<Delivery[]>;
  /** The most recently updated deliveries first (ties by id, descending), filtered, at most `limit`. */
  list(filter: DeliveryFilter): Promise<Delivery[]>;
}

/** The index of the recent deliveries is cut to this many entries; it shows recent activity, not history. */
export const RECENT_MAX_ENTRIES = 10_000;

/** A filtered listing reads at most this many recent deliveries to fill its page. */
export const LIST_SCAN_LIMIT = 1_000;

export const deliveryId = (eventId: string, n: number): string => `${eventId}:${n}`;

/** The event id and index a delivery id names. */
export function splitDeliveryId(id: string): { eventId: string; n: number } {
  const at = id.lastIndexOf(':');
  return { eventId: id.slice(0, at), n: Number(id.slice(at + 1)) };
}

/** Newest update first, ties by id descending: the order every listing uses. */
export const byRecency = (a: Delivery, b: Delivery): number => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** The fresh deliveries of an event, as `open` stores them. */
export function newDeliveries(event: DeliveryEvent, targets: readonly DeliveryTarget[], now: number): Delivery[] {
  return targets.map((t, n) => ({
    ...event,
    url: t.url,
    signers: [...t.signers],
    id: deliveryId(event.eventId, n),
    status: 'pending',
    attempts: 0,
    lastStatusCode: null,
    lastError: null,
    nextAttemptAt: now,
    round: 1,
    roundStartedAt: now,
    roundAttempts: 0,
    createdAt: now,
    updatedAt: now,
  }));
}

/** A delivery after `requeue`: a new round, due now; its history (attempts, last status) is kept. */
export const requeued = (d: Delivery, now: number): Delivery => ({
  ...d,
  status: 'pending',
  nextAttemptAt: now,
  round: d.round + 1,
  roundStartedAt: now,
  roundAttempts: 0,
  updatedAt: now,
});

/** A delivery after `record`. */
export function recorded(d: Delivery, round: number, outcome: AttemptOutcome, now: number): Delivery {
  const facts = { attempts: d.attempts + 1, lastStatusCode: outcome.lastStatusCode, lastError: outcome.lastError, updatedAt: now };
  if (d.round !== round) return { ...d, ...facts };
  return { ...d, ...facts, status: outcome.status, nextAttemptAt: outcome.nextAttemptAt, roundAttempts: d.roundAttempts + 1 };
}
