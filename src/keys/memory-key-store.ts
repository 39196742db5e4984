import { compareAuditIds, type AuditEntry, type AuditInput } from './audit.js';
import {
  DEFAULT_AUDIT_MAX_ENTRIES,
  orderKey,
  TOUCH_INTERVAL_MS,
  type ChangeResult,
  type KeyChangeListener,
  type KeyRecord,
  type KeyStore,
} from './key-store.js';
import type { KeySettings } from './settings.js';

export interface MemoryKeyStoreOptions {
  /** The audit log keeps this many newest entries. */
  auditMaxEntries?: number;
}

const cloneRecord = (r: KeyRecord): KeyRecord => structuredClone(r);

/**
 * KeyStore for one process: the same contract, nothing shared, all lost on
 * restart. Every change completes before its first await, so changes are as
 * atomic as the Redis scripts; listeners hear of it right after.
 */
export function createMemoryKeyStore(options: MemoryKeyStoreOptions = {}): KeyStore {
  const auditMax = options.auditMaxEntries ?? DEFAULT_AUDIT_MAX_ENTRIES;
  const records = new Map<string, KeyRecord>();
  const byDigest = new Map<string, string>();
  const byName = new Map<string, string>();
  const used = new Map<string, number>();
  const audit: AuditEntry[] = [];
  const listeners = new Set<KeyChangeListener>();
  let auditSeq = 0;

  const append = (entry: AuditInput): string => {
    const id = `${++auditSeq}-0`;
    audit.push({ ...structuredClone(entry), id });
    if (audit.length > auditMax) audit.splice(0, audit.length - auditMax);
    return id;
  };
  /** The end of every change: its audit entry, then the listeners. */
  const changed = (record: KeyRecord, entry: AuditInput): ChangeResult => {
    const auditId = append(entry);
    for (const listener of listeners) listener(record.id);
    return { ok: true, record, auditId };
  };
  const withUse = (r: KeyRecord): KeyRecord => ({ ...cloneRecord(r), lastUsedAt: used.get(r.id) ?? null });
  const nameTaken = (name: string, id: string): boolean => byName.has(name) && byName.get(name) !== id;

  return {
    async create(record, entry) {
      if (byName.has(record.name)) return { ok: false, reason: 'name_taken' };
      const stored = cloneRecord({ ...record, lastUsedAt: null });
      records.set(record.id, stored);
      byDigest.set(record.secretDigest, record.id);
      byName.set(record.name, record.id);
      return changed(withUse(stored), entry);
    },

    async update(id, patch, entry) {
      const record = records.get(id);
      if (!record) return { ok: false, reason: 'not_found' };
      if (patch.name !== undefined && nameTaken(patch.name, id)) return { ok: false, reason: 'name_taken' };
      if (patch.name !== undefined) {
        byName.delete(record.name);
        byName.set(patch.name, id);
        record.name = patch.name;
      }
      const settings: Record<string, unknown> = { ...record.settings, ...structuredClone(patch.set) };
      for (const field of patch.clear) delete settings[field];
      record.settings = settings as KeySettings;
      if (patch.webhookSecret === null) delete record.webhookSecret;
      else if (patch.webhookSecret !== undefined) record.webhookSecret ??= patch.webhookSecret;
      return changed(withUse(record), entry);
    },

    async rotate(id, rotation, entry) {
      const record = records.get(id);
      if (!record) return { ok: false, reason: 'not_found' };
      if (record.previous) byDigest.delete(record.previous.digest);
      if (rotation.previousExpiresAt === undefined) {
        byDigest.delete(record.secretDigest);
        record.previous = undefined;
      } else {
        record.previous = { digest: record.secretDigest, expiresAt: rotation.previousExpiresAt };
      }
      record.secretDigest = rotation.secretDigest;
      record.secretTail = rotation.secretTail;
      byDigest.set(rotation.secretDigest, id);
      return changed(withUse(record), entry);
    },

    async revoke(id, entry) {
      const record = records.get(id);
      if (!record) return { ok: false, reason: 'not_found' };
      const last = withUse(record);
      records.delete(id);
      byDigest.delete(record.secretDigest);
      if (record.previous) byDigest.delete(record.previous.digest);
      byName.delete(record.name);
      used.delete(id);
      return changed(last, entry);
    },

    async get(id) {
      const record = records.get(id);
      return record && withUse(record);
    },

    async findByDigest(digest) {
      const id = byDigest.get(digest);
      const record = id === undefined ? undefined : records.get(id);
      return record && withUse(record);
    },

    async list({ after, limit }) {
      const from = after === undefined ? undefined : records.get(after);
      if (after !== undefined && !from) return undefined;
      const floor = from && orderKey(from.createdAt, from.id);
      const sorted = [...records.values()]
        .map((r) => ({ r, key: orderKey(r.createdAt, r.id) }))
        .filter(({ key }) => floor === undefined || key > floor)
        .sort((x, y) => (x.key < y.key ? -1 : 1));
      return { data: sorted.slice(0, limit).map(({ r }) => withUse(r)), hasMore: sorted.length > limit };
    },

    async touch(id, at, { configKey = false } = {}) {
      if (!configKey && !records.has(id)) return;
      const last = used.get(id);
      if (last === undefined || at - last >= TOUCH_INTERVAL_MS) used.set(id, at);
    },

    async lastUsed(ids) {
      return ids.map((id) => used.get(id) ?? null);
    },

    async appendAudit(entry) {
      return append(entry);
    },

    async listAudit({ after, limit }) {
      const older = after === undefined ? audit : audit.filter((e) => compareAuditIds(e.id, after) < 0);
      const newestFirst = older.slice(-(limit + 1)).reverse();
      return { data: structuredClone(newestFirst.slice(0, limit)), hasMore: newestFirst.length > limit };
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    isLive: () => true,

    async close() {
      listeners.clear();
    },
  };
}
