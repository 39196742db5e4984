import { z } from 'zod';
import { ListLimitSchema } from '../openai/videos.js';
import { AuditEntrySchema, AUDIT_ID } from '../keys/audit.js';
import { KeySettingsSchema } from '../keys/settings.js';
import { DELIVERY_STATUSES } from '../webhooks/delivery-store.js';

/**
 * Every shape the admin API takes or returns. Bodies are strict (an unknown
 * field is a 400 unknown_parameter, as on /v1); queries ignore what they do
 * not know, as on /v1. Times on the wire are unix seconds.
 */

/** A label: printable, no surrounding spaces, at most 128 characters. */
const KeyNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u, "Invalid 'name': use printable characters with no leading or trailing space.");

const settings = KeySettingsSchema.shape;

export const KeyCreateBodySchema = KeySettingsSchema.extend({ name: KeyNameSchema });
export type KeyCreateBody = z.infer<typeof KeyCreateBodySchema>;

/** Every field optional; null clears it (name cannot be cleared). */
export const KeyUpdateBodySchema = z.strictObject({
  name: KeyNameSchema.optional(),
  models: settings.models.unwrap().nullable().optional(),
  rpm: settings.rpm.unwrap().nullable().optional(),
  poll_rpm: settings.poll_rpm.unwrap().nullable().optional(),
  max_concurrent: settings.max_concurrent.unwrap().nullable().optional(),
  seconds_per_day: settings.seconds_per_day.unwrap().nullable().optional(),
  seconds_per_month: settings.seconds_per_month.unwrap().nullable().optional(),
  usd_per_month: settings.usd_per_month.unwrap().nullable().optional(),
  expires_at: settings.expires_at.unwrap().nullable().optional(),
  disabled: settings.disabled.unwrap().nullable().optional(),
  metadata: settings.metadata.unwrap().nullable().optional(),
  webhook_url: settings.webhook_url.unwrap().nullable().optional(),
});
export type KeyUpdateBody = z.infer<typeof KeyUpdateBodySchema>;

/** At most 30 days: a rotated-out secret is meant to retire, not to live on. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

export const KeyRotateBodySchema = z.strictObject({
  grace_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(86_400),
});

/** The /v1 page-size rule. */
export const LimitSchema = ListLimitSchema;

export const KeyListQuerySchema = z.object({
  after: z.string({ error: "Invalid 'after': expected a key id." }).min(1).max(64).optional(),
  limit: LimitSchema,
});

export const AuditListQuerySchema = z.object({
  after: z.string({ error: "Invalid 'after': expected an audit entry id." }).regex(AUDIT_ID, "Invalid 'after': expected an audit entry id.").optional(),
  limit: LimitSchema,
});

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

/** A gateway key as the admin API shows it: every setting present, absent ones as null; never its secret. */
export const GatewayKeySchema = z.strictObject({
  object: z.literal('gateway.key'),
  id: z.string(),
  name: z.string(),
  redacted: z.string().nullable(),
  source: z.enum(['api', 'config']),
  disabled: z.boolean(),
  created_at: z.number().int().nullable(),
  last_used_at: z.number().int().nullable(),
  models: nullable(z.array(z.string())),
  rpm: nullable(z.number().int()),
  poll_rpm: z.number().int(),
  max_concurrent: nullable(z.number().int()),
  seconds_per_day: nullable(z.number().int()),
  seconds_per_month: nullable(z.number().int()),
  usd_per_month: nullable(z.number()),
  expires_at: nullable(z.number().int()),
  metadata: nullable(z.record(z.string(), z.string())),
  webhook_url: nullable(z.string()),
  /** While a rotated-out secret still works: when it stops (unix s). */
  previous_secret_expires_at: nullable(z.number().int()),
});
export type GatewayKey = z.infer<typeof GatewayKeySchema>;

/** The key's webhook signing secret (`whsec_…`): only in the answer that set its webhook_url when it had none. */
const webhookSecret = { webhook_secret: z.string().optional() };

/** Create and rotate: the key plus its new secret, shown this once. */
export const GatewayKeyWithSecretSchema = GatewayKeySchema.extend({ secret: z.string(), ...webhookSecret });
export type GatewayKeyWithSecret = z.infer<typeof GatewayKeyWithSecretSchema>;

/** Update: the key, plus its webhook secret when this update minted one. */
export const GatewayKeyUpdatedSchema = GatewayKeySchema.extend(webhookSecret);
export type GatewayKeyUpdated = z.infer<typeof GatewayKeyUpdatedSchema>;

/** OpenAI's cursor page: `after` = `last_id` fetches the next one. */
export const cursorListSchema = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    object: z.literal('list'),
    data: z.array(item),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
    has_more: z.boolean(),
  });

export const GatewayKeyListSchema = cursorListSchema(GatewayKeySchema);
export type GatewayKeyList = z.infer<typeof GatewayKeyListSchema>;

export const GatewayKeyDeletedSchema = z.strictObject({ id: z.string(), object: z.literal('gateway.key.deleted'), deleted: z.literal(true) });
export type GatewayKeyDeleted = z.infer<typeof GatewayKeyDeletedSchema>;

export const AuditListSchema = z.strictObject({ object: z.literal('list'), data: z.array(AuditEntrySchema), has_more: z.boolean() });
export type AuditList = z.infer<typeof AuditListSchema>;

export const DeliveryListQuerySchema = z.object({
  /** A key id: that key's deliveries. */
  key: z.string({ error: "Invalid 'key': expected a key id." }).min(1).max(64).optional(),
  status: z.enum(DELIVERY_STATUSES, { error: "Invalid 'status': expected 'pending', 'delivered', 'failed' or 'refused'." }).optional(),
  limit: LimitSchema,
});

/** Redelivery takes no options: no body, or `{}`. */
export const RedeliverBodySchema = z.strictObject({});

/** One webhook delivery (one event to one URL). Times are unix seconds. */
export const WebhookDeliverySchema = z.strictObject({
  event_id: z.string(),
  video_id: z.string(),
  key_id: z.string(),
  url: z.string(),
  attempts: z.number().int(),
  status: z.enum(DELIVERY_STATUSES),
  last_status_code: z.number().int().nullable(),
  /** Why the last attempt did not deliver; null once delivered. */
  last_error: z.string().nullable(),
  next_attempt_at: z.number().int().nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/** The most recently updated first; not paged: a bounded view of recent activity. */
export const WebhookDeliveryListSchema = z.strictObject({ object: z.literal('list'), data: z.array(WebhookDeliverySchema) });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryListSchema>;
