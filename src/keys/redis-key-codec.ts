import { StoreDataError } from '../stores/redis-errors.js';
import { AuditEntrySchema, type AuditEntry } from './audit.js';
import { orderKey, type KeyRecord, type NewKeyRecord } from './key-store.js';
import { KEY_SETTING_NAMES, KeySettingsSchema, type KeySettingName } from './settings.js';

/**
 * How a key record sits in its Redis hash: one field per fact, each setting
 * as its own `s:<name>` field holding JSON. Lua scripts then change a key
 * field by field (HSET / HDEL) without ever decoding JSON, so no number passes
 * through cjson, which keeps only 14 significant digits.
 */

export const settingField = (name: KeySettingName): string => `s:${name}`;

/** HSET arguments for a new record. */
export function encodeRecord(record: NewKeyRecord): string[] {
  const pairs = [
    'id', record.id,
    'name', record.name,
    'digest', record.secretDigest,
    'tail', record.secretTail,
    'created_at', String(record.createdAt),
    'order', orderKey(record.createdAt, record.id),
  ];
  if (record.previous) pairs.push('prev_digest', record.previous.digest, 'prev_expires_at', String(record.previous.expiresAt));
  if (record.webhookSecret !== undefined) pairs.push('webhook_secret', record.webhookSecret);
  return [...pairs, ...encodeSettings(record.settings)];
}

/** `s:<name>`, JSON pairs for every setting that has a value. */
export function encodeSettings(settings: Partial<Record<KeySettingName, unknown>>): string[] {
  return KEY_SETTING_NAMES.flatMap((name) => (settings[name] === undefined ? [] : [settingField(name), JSON.stringify(settings[name])]));
}

const parseJson = (id: string, field: string, text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreDataError(`key ${id}: field ${field} is not JSON`);
  }
};

const int = (id: string, field: string, text: string | undefined): number => {
  const n = Number(text);
  if (text === undefined || !Number.isSafeInteger(n)) throw new StoreDataError(`key ${id}: field ${field} is not an integer`);
  return n;
};

/** A record from its hash (HGETALL as an object) and its last use; undefined when the hash is gone. */
export function decodeRecord(fields: Record<string, string>, usedAt: string | null | undefined): KeyRecord | undefined {
  const { id, name, digest, tail } = fields;
  if (id === undefined) return undefined;
  if (name === undefined || digest === undefined || tail === undefined) throw new StoreDataError(`key ${id}: incomplete record`);
  const raw: Record<string, unknown> = {};
  for (const setting of KEY_SETTING_NAMES) {
    const text = fields[settingField(setting)];
    if (text !== undefined) raw[setting] = parseJson(id, setting, text);
  }
  const settings = KeySettingsSchema.safeParse(raw);
  if (!settings.success) throw new StoreDataError(`key ${id}: invalid settings`);
  const previous =
    fields.prev_digest === undefined ? undefined : { digest: fields.prev_digest, expiresAt: int(id, 'prev_expires_at', fields.prev_expires_at) };
  return {
    id,
    name,
    secretDigest: digest,
    secretTail: tail,
    previous,
    settings: settings.data,
    ...(fields.webhook_secret === undefined ? {} : { webhookSecret: fields.webhook_secret }),
    createdAt: int(id, 'created_at', fields.created_at),
    lastUsedAt: usedAt === null || usedAt === undefined || usedAt === '' ? null : int(id, 'last_used', usedAt),
  };
}

/** A flat [field, value, field, value, …] reply as an object. */
export function pairsToObject(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

/** A stream entry ([id, [field, value, …]]) as an audit entry. */
export function decodeAuditEntry([id, flat]: [string, string[]]): AuditEntry {
  const text = pairsToObject(flat).e;
  const parsed = AuditEntrySchema.safeParse({ ...(text === undefined ? {} : (parseJson(id, 'audit', text) as object)), id });
  if (!parsed.success) throw new StoreDataError(`audit entry ${id} is invalid`);
  return parsed.data;
}
