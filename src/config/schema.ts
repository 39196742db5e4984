import { z } from 'zod';
import { sha256 } from '../keys/ids.js';
import { DEFAULT_POLL_RPM, keySettingsShape } from '../keys/settings.js';
import { isUsableWebhookSecret } from '../webhooks/secret.js';

/**
 * The configuration contract (config/reelay.yaml). Other tooling writes these
 * files, so the shape is fixed: every object is strict (an unknown key is a typo
 * and fails start-up) and every default lives here.
 */

/** Integers may arrive as strings when they come from `${VAR}` substitution. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z.number().int().min(min).max(max),
  );

/** A boolean, also as the text `true` / `false` that a `${VAR}` substitution yields. */
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const nonEmpty = z.string().trim().min(1);

const httpUrl = z.url({ protocol: /^https?$/ });

const ServerSchema = z
  .strictObject({
    host: nonEmpty.default('127.0.0.1'),
    port: int(0, 65535).default(8080),
    /** Seconds to wait for in-flight requests on SIGTERM before forcing exit. */
    shutdown_timeout_s: int(1, 3600).default(25),
    /** A client must send its request headers within this long of connecting (or of its previous request). */
    headers_timeout_s: int(1, 3600).default(30),
    /** ... and the whole request, body included, within this long: slow uploads of a large image still finish. */
    request_timeout_s: int(1, 3600).default(120),
    /** An idle keep-alive connection is closed after this long (above common load balancers' 60 s). */
    keep_alive_timeout_s: int(1, 3600).default(72),
    /** A connection with no traffic either way for this long is closed (a client that stopped reading). */
    connection_timeout_s: int(1, 86400).default(300),
    /**
     * Behind a reverse proxy: Fastify's trustProxy. true trusts every hop, a
     * string only the listed proxy addresses or CIDRs (comma-separated). Client addresses in logs and limits come from
     * X-Forwarded-For only when trusted.
     */
    trust_proxy: z.union([flag, nonEmpty]).default(false),
  })
  .refine((s) => s.headers_timeout_s <= s.request_timeout_s, {
    message: 'headers_timeout_s must not exceed request_timeout_s',
    path: ['headers_timeout_s'],
  });

const StoreSchema = z
  .strictObject({
    type: z.enum(['memory', 'redis']).default('memory'),
    url: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
    /** Redis Cluster seed nodes; when set, `url` is ignored. */
    cluster: z.array(z.url({ protocol: /^rediss?$/ })).min(1).optional(),
    prefix: z.string().default('reelay:'),
    retention_days: int(1, 3650).default(30),
    /**
     * A finished video's status answers from this instance's memory for this
     * long (0: off); a delete on another instance shows here within it.
     */
    status_cache_ms: int(0, 60_000).default(1000),
  })
  .prefault({});

const LimitsSchema = z
  .strictObject({
    /** The largest multipart body (and so the largest file); JSON bodies may be 64 KiB larger. */
    upload_bytes: int(1024).default(20 * 1024 * 1024),
    /**
     * An oversize body is read and thrown away up to this many more bytes before
     * the 413 is sent, so a client still uploading reads the 413 instead of a reset.
     */
    drain_bytes: int(0).default(64 * 1024 * 1024),
  })
  .prefault({});

const ReadyzSchema = z
  .strictObject({
    /** Show providers and credential health on the unauthenticated /readyz (off: status only). */
    details: flag.default(false),
  })
  .prefault({});

const MetricsSchema = z
  .strictObject({
    /** Serve /metrics without a key (keep it on an internal network); off: the admin key is needed. */
    public: flag.default(false),
  })
  .prefault({});

const PollSchema = z
  .strictObject({
    initial_ms: int(10).default(2000),
    max_ms: int(10).default(15000),
    // Above the default provider timeout_ms (30 s) plus GET retries, so a slow poll keeps its lease.
    lease_ms: int(100).default(60000),
    give_up_after_s: int(1).default(6 * 3600),
    /** A non-terminal record older than this is refreshed inline on retrieve. */
    stale_ms: int(0).default(2000),
    /** Floor between two upstream status calls for one job. */
    min_interval_ms: int(0).default(1000),
    /** Background polls in flight at once on one instance; each waits mostly on its provider. */
    concurrency: int(1, 1024).default(64),
  })
  .prefault({});

/** Decimals may arrive as strings too. */
const decimal = (min: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v.trim()) : v), z.number().min(min));

const WebhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'a webhook secret is whsec_ followed by base64')
  // The signer decodes strictly and the scheme wants 24 to 64 bytes: a bad secret fails here, not at the first delivery.
  .refine(isUsableWebhookSecret, 'a webhook secret is whsec_ followed by the base64 of 24 to 64 random bytes');

/** A gateway key in the file: read-only at run time (the admin API lists it with source "config"). */
const KeySchema = z
  .strictObject({
    name: nonEmpty,
    key: z.string().min(8, 'a gateway key must be at least 8 characters').optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be a 64-character hex SHA-256 digest')
      .transform((s) => s.toLowerCase())
      .optional(),
    ...keySettingsShape(int, decimal),
    poll_rpm: int(1).default(DEFAULT_POLL_RPM),
    /** Signs this key's webhooks (config keys only: an API key's secret is minted when its webhook_url is set). */
    webhook_secret: WebhookSecretSchema.optional(),
  })
  .refine((k) => (k.key === undefined) !== (k.sha256 === undefined), {
    message: 'give exactly one of `key` or `sha256`',
  });

/** An admin API key: same secret-or-digest shape, no limits. Client keys never work on /admin, nor these on /v1. */
const AdminKeySchema = z
  .strictObject({
    name: nonEmpty,
    key: z.string().min(16, 'an admin key must be at least 16 characters').optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be a 64-character hex SHA-256 digest')
      .transform((s) => s.toLowerCase())
      .optional(),
  })
  .refine((k) => (k.key === undefined) !== (k.sha256 === undefined), {
    message: 'give exactly one of `key` or `sha256`',
  });

const AdminSchema = z
  .strictObject({
    /** No keys: the admin API is off. */
    keys: z.array(AdminKeySchema).default([]),
  })
  .prefault({});

const S3Schema = z.strictObject({
  bucket: nonEmpty,
  /** Key prefix inside the bucket, e.g. `reelay/`. */
  prefix: z.string().default(''),
  /** An S3-compatible endpoint (MinIO, R2, s3rver); AWS when absent. */
  endpoint: httpUrl.optional(),
  region: nonEmpty.default('us-east-1'),
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and s3rver need. */
  force_path_style: flag.default(false),
  /** Credentials; the standard AWS environment and profiles when absent. */
  access_key_id: nonEmpty.optional(),
  secret_access_key: nonEmpty.optional(),
});

/** Content custody: Reelay's own copy of every completed video, kept past the provider's link. */
const StorageSchema = z
  .strictObject({
    /** none: no custody, content streams from the provider as before. */
    type: z.enum(['none', 'fs', 's3']).default('none'),
    dir: nonEmpty.default('./data/content'),
    /** Stored files are deleted after this many days; /content then answers 404 video_expired. */
    retention_days: int(1, 3650).default(30),
    /** A single file larger than this is not stored (it still streams from the provider). */
    max_bytes: int(1).default(2 * 1024 * 1024 * 1024),
    s3: S3Schema.optional(),
  })
  .refine((st) => st.type !== 's3' || st.s3 !== undefined, { message: 'storage.type s3 needs storage.s3', path: ['s3'] })
  .prefault({});

/** Signed webhooks for video.completed / video.failed. */
const WebhooksSchema = z
  .strictObject({
    /** Every key's events also go here (signed with `secret`). */
    url: httpUrl.optional(),
    secret: WebhookSecretSchema.optional(),
    /** Private, loopback and link-local targets are refused unless this is true. */
    allow_private: flag.default(false),
    /** Seconds between attempts, the last one repeating, until 24 h have passed (jittered). */
    retry_schedule_s: z.array(int(1, 86400)).min(1).default([5, 30, 120, 600, 3600]),
    max_attempts: int(1, 1000).optional(),
    /** Connect and response timeout of one attempt. */
    timeout_ms: int(100, 120_000).default(10_000),
  })
  .refine((w) => w.url === undefined || w.secret !== undefined, { message: 'webhooks.url needs webhooks.secret', path: ['secret'] })
  .prefault({});

/** USD per second of video, per model alias, with optional per-size prices. */
const PriceSchema = z.strictObject({
  usd_per_second: decimal(0),
  sizes: z.record(nonEmpty.refine((k) => k !== '__proto__', 'reserved name'), decimal(0)).optional(),
});

const providerBase = {
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, - and _'),
};

const httpProviderBase = {
  ...providerBase,
  base_url: httpUrl,
  api_keys: z.array(nonEmpty).min(1),
  timeout_ms: int(100).default(30000),
};

const SandboxProviderSchema = z.strictObject({
  ...providerBase,
  type: z.literal('sandbox'),
  generation_seconds: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number().min(0).max(3600),
  ).default(5),
});

const OpenAIProviderSchema = z.strictObject({ ...httpProviderBase, type: z.literal('openai') });

const GptgeProviderSchema = z.strictObject({
  ...httpProviderBase,
  type: z.literal('gptge'),
  /** multipart (default, what the SDK sends) or json when the request has no file. */
  encoding: z.enum(['multipart', 'json']).default('multipart'),
});

const MintlifyProviderSchema = z.strictObject({ ...httpProviderBase, type: z.literal('mintlify') });

const AimlapiProviderSchema = z.strictObject({ ...httpProviderBase, type: z.literal('aimlapi') });

export const ProviderConfigSchema = z.discriminatedUnion('type', [
  SandboxProviderSchema,
  OpenAIProviderSchema,
  GptgeProviderSchema,
  MintlifyProviderSchema,
  AimlapiProviderSchema,
]);

const TargetSchema = z.strictObject({
  provider: nonEmpty,
  /** Upstream model name; defaults to the alias. */
  model: nonEmpty.optional(),
  /** aimlapi: the image-to-video model used when the request has an input_reference. */
  image_model: nonEmpty.optional(),
  /** Declared constraints: a target that cannot serve the request is skipped. */
  seconds: z.array(z.coerce.string()).min(1).optional(),
  sizes: z.array(nonEmpty).min(1).optional(),
});

export const ConfigSchema = z
  .strictObject({
    server: ServerSchema.prefault({}),
    store: StoreSchema,
    limits: LimitsSchema,
    readyz: ReadyzSchema,
    metrics: MetricsSchema,
    poll: PollSchema,
    keys: z.array(KeySchema).min(1, 'at least one gateway key is needed'),
    admin: AdminSchema,
    storage: StorageSchema,
    webhooks: WebhooksSchema,
    pricing: z.record(nonEmpty.refine((k) => k !== '__proto__', 'reserved name'), PriceSchema).default({}),
    providers: z.array(ProviderConfigSchema).min(1),
    // `__proto__` cannot be an own key of the parsed object; every other name works (lookups use Object.hasOwn).
    models: z.record(nonEmpty.refine((k) => k !== '__proto__', 'reserved name'), z.array(TargetSchema).min(1)).refine((m) => Object.keys(m).length > 0, {
      message: 'at least one model alias is needed',
    }),
  })
  .superRefine((cfg, ctx) => {
    const ids = new Set<string>();
    cfg.providers.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
      ids.add(p.id);
    });
    const names = new Set<string>();
    cfg.keys.forEach((k, i) => {
      if (names.has(k.name)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'name'], message: `duplicate key name "${k.name}"` });
      names.add(k.name);
      // A webhook that cannot be signed would be refused by every receiver that checks, so it is a start-up error.
      if (k.webhook_url !== undefined && k.webhook_secret === undefined && cfg.webhooks.secret === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['keys', i, 'webhook_secret'],
          message: 'a key with webhook_url needs webhook_secret (whsec_…) to sign its webhooks, or set webhooks.secret to sign them with that',
        });
      }
      k.models?.forEach((m, j) => {
        if (!Object.hasOwn(cfg.models, m)) {
          ctx.addIssue({ code: 'custom', path: ['keys', i, 'models', j], message: `unknown model alias "${m}"` });
        }
      });
    });
    // One secret on both doors would let a client key administer, or an admin key spend.
    const clientDigests = new Set(cfg.keys.map((k) => k.sha256 ?? sha256(k.key!).toString('hex')));
    cfg.admin.keys.forEach((k, i) => {
      if (clientDigests.has(k.sha256 ?? sha256(k.key!).toString('hex'))) {
        ctx.addIssue({ code: 'custom', path: ['admin', 'keys', i], message: 'an admin key must differ from every client key' });
      }
    });
    const adminNames = new Set<string>();
    cfg.admin.keys.forEach((k, i) => {
      if (adminNames.has(k.name)) ctx.addIssue({ code: 'custom', path: ['admin', 'keys', i, 'name'], message: `duplicate admin key name "${k.name}"` });
      adminNames.add(k.name);
    });
    for (const alias of Object.keys(cfg.pricing)) {
      if (!Object.hasOwn(cfg.models, alias)) ctx.addIssue({ code: 'custom', path: ['pricing', alias], message: `unknown model alias "${alias}"` });
    }
    for (const [alias, targets] of Object.entries(cfg.models)) {
      targets.forEach((t, j) => {
        if (!ids.has(t.provider)) {
          ctx.addIssue({ code: 'custom', path: ['models', alias, j, 'provider'], message: `unknown provider "${t.provider}"` });
        }
      });
    }
  });

export type Config = z.output<typeof ConfigSchema>;
export type ProviderConfig = z.output<typeof ProviderConfigSchema>;
export type KeyConfig = z.output<typeof KeySchema>;
export type AdminKeyConfig = z.output<typeof AdminKeySchema>;
export type StorageConfig = z.output<typeof StorageSchema>;
export type WebhooksConfig = z.output<typeof WebhooksSchema>;
export type PricingConfig = z.output<typeof ConfigSchema>['pricing'];
export type ModelTarget = z.output<typeof TargetSchema>;
export type PollConfig = z.output<typeof PollSchema>;
export type StoreConfig = z.output<typeof StoreSchema>;
export type ServerConfig = z.output<typeof ServerSchema>;
export type LimitsConfig = z.output<typeof LimitsSchema>;
