import type { AuditEntry, AuditInput } from './audit.js';
import type { KeySettingName, KeySettings } from './settings.js';

/**
 * KeyStore: the gateway keys made through the admin API, their audit log and
 * the feed of their changes. Every change (create, update, rotate, revoke) is
 * one atomic step that also appends its audit entry and then announces the
 * change to every instance, so caches can drop what they hold. Secrets never
 * reach a store: only their SHA-256 digests and last characters do.
 *
 * Two implementations (memory, Redis) pass test/keys/key-store.contract.ts.
 */

/** A dynamic key as stored. Times are ms since the epoch. */
export interface KeyRecord {
  /** `key_…` (mintKeyId): stable across renames and rotations; the key's videos are filed under it. */
  id: string;
  /** Unique among dynamic keys (config key names are refused before a store sees them). */
  name: string;
  /** SHA-256 (hex) of the current secret. */
  secretDigest: string;
  /** The current secret's last characters, for display. */
  secretTail: string;
  /** The rotated-out secret, which keeps working until `expiresAt` (the grace period). */
  previous?: { digest: string; expiresAt: number } | undefined;
  settings: KeySettings;
  /**
   * The `whsec_…` secret this key's webhooks are signed with: minted when its
   * webhook_url is first set, removed when that is cleared. Shown only in the
   * admin response that set it; never in a view, an audit entry or a log.
   */
  webhookSecret?: string | undefined;
  createdAt: number;
  /** Set by touch(), at most once a minute. */
  lastUsedAt: number | null;
}

export type NewKeyRecord = Omit<KeyRecord, 'lastUsedAt'>;

/** An update: a new name, settings to set, settings to remove. Fields not named keep their values. */
export interface KeyPatch {
  name?: string | undefined;
  set: Partial<KeySettings>;
  clear: readonly KeySettingName[];
  /**
   * A webhook secret to hold unless the key holds one already (of two racing
   * updates that both mint one, the first wins: compare the record returned),
   * or null to remove it. Undefined leaves it as it is.
   */
  webhookSecret?: string | null | undefined;
}

/** A new current secret; the old one works until `previousExpiresAt`, or stops at once when it is undefined. */
export interface KeyRotation {
  secretDigest: string;
  secretTail: string;
  previousExpiresAt?: number | undefined;
}

export interface PageOptions {
  /** Continue after this id (exclusive). */
  after?: string | undefined;
  limit: number;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/** What a change did; `name_taken` when another dynamic key holds the name. */
export type ChangeResult = { ok: true; record: KeyRecord; auditId: string } | { ok: false; reason: 'not_found' | 'name_taken' };

/**
 * Called after a change is written, on every instance: with the changed key's
 * id, or with undefined when changes may have been missed (a reconnect, a gap
 * in the feed), meaning "drop everything".
 */
export type KeyChangeListener = (keyId: string | undefined) => void;

export interface KeyStore {
  /** Stores a new key; fails with `name_taken` when the name is in use. */
  create(record: NewKeyRecord, audit: AuditInput): Promise<ChangeResult>;
  update(id: string, patch: KeyPatch, audit: AuditInput): Promise<ChangeResult>;
  rotate(id: string, rotation: KeyRotation, audit: AuditInput): Promise<ChangeResult>;
  /** Deletes the key: its secrets stop working and its name is free again. The record returned is the deleted one. */
  revoke(id: string, audit: AuditInput): Promise<ChangeResult>;

  get(id: string): Promise<KeyRecord | undefined>;
  /** The key one of whose secrets (current or rotated-out) has this digest. */
  findByDigest(digest: string): Promise<KeyRecord | undefined>;
  /** Keys in creation order (ties by id). Undefined when `after` names no stored key. */
  list(options: PageOptions): Promise<Page<KeyRecord> | undefined>;

  /**
   * Records a use of key `id` at `at`, unless one was recorded less than a
   * minute before (on any instance). Keys the store does not hold are ignored,
   * except config keys (`configKey`), which the store never holds.
   */
  touch(id: string, at: number, options?: { configKey?: boolean }): Promise<void>;
  /** When each of these (config) keys was last used, in order; null when never. */
  lastUsed(ids: readonly string[]): Promise<Array<number | null>>;

  /** Appends an entry that records no key change (for admin actions of other kinds). */
  appendAudit(entry: AuditInput): Promise<string>;
  /** Newest first; `after` continues with the entries older than that id. */
  listAudit(options: PageOptions): Promise<Page<AuditEntry>>;

  /** Registers a listener for the change feed (see KeyChangeListener). */
  onChange(listener: KeyChangeListener): () => void;
  /**
   * Whether this instance is sure to hear of every change right now. While it
   * is not (the feed could not be checked for a while), caches must not be
   * trusted: a lookup goes to the store instead.
   */
  isLive(): boolean;
  /** Stops the feed; the store's data client belongs to the caller. */
  close(): Promise<void>;
}

/** Once a minute at most: last_used_at is a hint for operators, not an access log. */
export const TOUCH_INTERVAL_MS = 60_000;

/** The audit log keeps about this many newest entries. */
export const DEFAULT_AUDIT_MAX_ENTRIES = 10_000;

/**
 * The sort key of a record in creation order: zero-padded ms, then the id,
 * so a plain string order is creation order with ties broken by id.
 */
export const orderKey = (createdAt: number, id: string): string => `${String(createdAt).padStart(16, '0')}:${id}`;
