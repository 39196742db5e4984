import { z } from 'zod';

/**
 * The settings a gateway key carries, wherever it is defined: a config file
 * key or a key made through the admin API. One shape, two number parsers (the
 * config file's `${VAR}` substitution yields strings; JSON does not).
 */

type NumberSchema = (min: number) => z.ZodType<number>;

export const MAX_METADATA_ENTRIES = 16;

/** Names refused as metadata keys, as they are in multipart field names: nothing that reads like a prototype. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Labels for the operator: at most 16 string entries; no key can be a prototype name. */
export const MetadataSchema = z
  .record(
    z.string().min(1).max(64).refine((k) => !RESERVED_NAMES.has(k), 'reserved name'),
    z.string().max(512),
  )
  .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, `at most ${MAX_METADATA_ENTRIES} metadata entries`);

export const WebhookUrlSchema = z.url({ protocol: /^https?$/ }).max(2048);

export function keySettingsShape(int: NumberSchema, decimal: NumberSchema) {
  return {
    /** Model aliases the key may use; every alias when absent. */
    models: z.array(z.string().trim().min(1).max(128)).max(256).optional(),
    /** Creates and remixes per minute; unlimited when absent. */
    rpm: int(1).optional(),
    /** Status, list and content requests per minute: a separate budget, so polling never starves creates. */
    poll_rpm: int(1).optional(),
    /** Non-terminal jobs in flight at once; unlimited when absent. */
    max_concurrent: int(1).optional(),
    /** Video-seconds per UTC day and per UTC month; unlimited when absent. */
    seconds_per_day: int(0).optional(),
    seconds_per_month: int(0).optional(),
    /** Estimated USD per UTC month, priced by `pricing`; unlimited when absent. */
    usd_per_month: decimal(0).optional(),
    /** Unix seconds after which the key answers 401 key_expired. */
    expires_at: int(0).optional(),
    disabled: z.boolean().optional(),
    metadata: MetadataSchema.optional(),
    /** Where this key's video.completed / video.failed events are delivered. */
    webhook_url: WebhookUrlSchema.optional(),
  };
}

export const DEFAULT_POLL_RPM = 600;

/** JSON numbers as the admin API and the key store take them: no strings, nothing beyond 2^53. */
const jsonInt: NumberSchema = (min) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);
const jsonDecimal: NumberSchema = (min) => z.number().min(min).max(1e12);

/** A key's settings as JSON carries them (admin API bodies, stored records). Strict: an unknown field is an error. */
export const KeySettingsSchema = z.strictObject(keySettingsShape(jsonInt, jsonDecimal));
export type KeySettings = z.output<typeof KeySettingsSchema>;
export type KeySettingName = keyof KeySettings;

/** Every setting's name, in the order responses list them. */
export const KEY_SETTING_NAMES = Object.freeze(Object.keys(KeySettingsSchema.shape) as KeySettingName[]);
