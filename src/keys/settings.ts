import { z } from 'zod';

/**
 * The settings a gateway key carries, wherever it is defined: a config file
 * key or a key made through the admin API. One shape, two number parsers (the
 * config file's `${VAR}` substitution yields strings; JSON does not).
 */

type NumberSchema = (min: number) => z.ZodType<number>;

export const MAX_METADATA_ENTRIES = 16;

/** Labels for the operator: at most 16 string entries; no key can be a prototype name. */
export const MetadataSchema = z
  .record(
    z.string().min(1).max(64).refine((k) => k !== '__proto__', 'reserved name'),
    z.string().max(512),
  )
  .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, `at most ${MAX_METADATA_ENTRIES} metadata entries`);

export const WebhookUrlSchema = z.url({ protocol: /^https?$/ });

export function keySettingsShape(int: NumberSchema, decimal: NumberSchema) {
  return {
    /** Model aliases the key may use; every alias when absent. */
    models: z.array(z.string().trim().min(1)).optional(),
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
