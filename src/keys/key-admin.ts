import type { Clock } from '../clock.js';
import type { Config, KeyConfig } from '../config/schema.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.js';
import type { AuditContext, AuditInput } from './audit.js';
import { configKeyId, isKeyId, mintKeyId, mintSecret, redactSecret, redactTail, secretTail, sha256 } from './ids.js';
import type { ChangeResult, KeyRecord, KeyStore, Page } from './key-store.js';
import { DEFAULT_POLL_RPM, KEY_SETTING_NAMES, type KeySettingName, type KeySettings } from './settings.js';
import { mintWebhookSecret } from '../webhooks/secret.js';

/**
 * Key management as the admin API offers it, over config keys (read-only)
 * and the store's keys. Validates what the schemas cannot (model aliases,
 * names config keys hold, expiry in the future), mints ids and secrets, and
 * turns store outcomes into the errors clients see. Knows nothing of HTTP.
 */

/** A key as the admin API shows it, whatever its source. Times are ms. */
export interface KeyInfo {
  id: string;
  name: string;
  source: 'config' | 'api';
  /** `sk-rly-…abcd`; null for a config key given only as a digest. */
  redacted: string | null;
  settings: KeySettings;
  createdAt: number | null;
  lastUsedAt: number | null;
  /** While a rotated-out secret still works: when it stops. */
  previousSecretExpiresAt: number | null;
}

export type KeyCreateParams = KeySettings & { name: string };
/** null clears a setting (poll_rpm goes back to its default, disabled to false). */
export type KeyUpdateParams = { name?: string | undefined } & { [K in KeySettingName]?: KeySettings[K] | null };

/**
 * A change's answer. `webhookSecret` is there only in the answer of the change
 * that set the key's webhook_url when it had none: the one time it is shown.
 */
export interface KeyChange {
  key: KeyInfo;
  webhookSecret?: string | undefined;
}

export interface KeyAdmin {
  create(params: KeyCreateParams, ctx: AuditContext): Promise<KeyChange & { secret: string }>;
  list(options: { after?: string | undefined; limit: number }): Promise<Page<KeyInfo>>;
  get(id: string): Promise<KeyInfo>;
  update(id: string, params: KeyUpdateParams, ctx: AuditContext): Promise<KeyChange>;
  /** `graceSeconds` 0 stops the old secret at once. */
  rotate(id: string, graceSeconds: number, ctx: AuditContext): Promise<{ key: KeyInfo; secret: string; previousSecretExpiresAt: number }>;
  revoke(id: string, ctx: AuditContext): Promise<void>;
}

export interface KeyAdminOptions {
  config: Pick<Config, 'keys' | 'models'>;
  store: KeyStore;
  clock: Clock;
}

const keyNotFound = (id: string) => new NotFoundError(`No gateway key with id '${id.slice(0, 64)}'.`, { code: 'key_not_found' });
const readOnly = () =>
  new ConflictError('This key is defined in the config file and is read-only here; change it in the file.', { code: 'key_read_only' });
const nameTaken = (name: string) =>
  new ConflictError(`A gateway key named '${name}' already exists.`, { param: 'name', code: 'key_name_taken' });
const unknownCursor = () => new InvalidRequestError("Invalid 'after': no gateway key has that id.", { param: 'after' });

function pickSettings(source: Readonly<Record<string, unknown>>): KeySettings {
  const out: Record<string, unknown> = {};
  for (const name of KEY_SETTING_NAMES) if (source[name] !== undefined) out[name] = source[name];
  return out as KeySettings;
}

export function createKeyAdmin({ config, store, clock }: KeyAdminOptions): KeyAdmin {
  const configKeys = new Map<string, KeyConfig>(config.keys.map((k) => [configKeyId(k.name), k]));
  const configNames = new Set(config.keys.map((k) => k.name));

  const configInfo = (k: KeyConfig, lastUsedAt: number | null): KeyInfo => ({
    id: configKeyId(k.name),
    name: k.name,
    source: 'config',
    redacted: k.key === undefined ? null : redactSecret(k.key),
    settings: pickSettings(k),
    createdAt: null,
    lastUsedAt,
    previousSecretExpiresAt: null,
  });
  const storedInfo = (r: KeyRecord): KeyInfo => ({
    id: r.id,
    name: r.name,
    source: 'api',
    redacted: redactTail(r.secretTail),
    settings: r.settings,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    previousSecretExpiresAt: r.previous && r.previous.expiresAt > clock.now() ? r.previous.expiresAt : null,
  });
  const configInfos = async (keys: readonly KeyConfig[]): Promise<KeyInfo[]> => {
    const used = await store.lastUsed(keys.map((k) => configKeyId(k.name)));
    return keys.map((k, i) => configInfo(k, used[i] ?? null));
  };

  const checkName = (name: string): void => {
    if (configNames.has(name)) throw nameTaken(name);
  };
  const checkModels = (models: readonly string[] | null | undefined): void => {
    const unknown = models?.find((m) => !Object.hasOwn(config.models, m));
    if (unknown !== undefined) {
      throw new InvalidRequestError(`Unknown model alias '${unknown.slice(0, 128)}' in 'models'.`, { param: 'models', code: 'model_not_found' });
    }
  };
  /** Only stored keys change: 409 for a config key, 404 for an id no key can have. */
  const assertMutable = (id: string): void => {
    if (configKeys.has(id)) throw readOnly();
    if (!isKeyId(id)) throw keyNotFound(id);
  };
  const audited = (ctx: AuditContext, action: string, keyId: string, changes: Record<string, unknown>): AuditInput => ({
    ...ctx,
    at: Math.floor(clock.now() / 1000),
    action,
    key_id: keyId,
    changes,
  });
  const outcome = (result: ChangeResult, id: string, name?: string): KeyRecord => {
    if (result.ok) return result.record;
    throw result.reason === 'name_taken' ? nameTaken(name ?? '') : keyNotFound(id);
  };
  const newSecret = () => {
    const secret = mintSecret();
    return { secret, secretDigest: sha256(secret).toString('hex'), secretTail: secretTail(secret) };
  };

  return {
    async create(params, ctx) {
      const { name, ...given } = params;
      checkName(name);
      checkModels(given.models);
      const now = clock.now();
      if (given.expires_at !== undefined && given.expires_at * 1000 <= now) {
        throw new InvalidRequestError("Invalid 'expires_at': it must be in the future (unix seconds).", { param: 'expires_at' });
      }
      const settings = pickSettings({ ...given, poll_rpm: given.poll_rpm ?? DEFAULT_POLL_RPM });
      const { secret, secretDigest, secretTail: tail } = newSecret();
      const id = mintKeyId();
      const webhookSecret = given.webhook_url === undefined ? undefined : mintWebhookSecret();
      const record = { id, name, secretDigest, secretTail: tail, settings, createdAt: now, ...(webhookSecret ? { webhookSecret } : {}) };
      const result = await store.create(record, audited(ctx, 'key.create', id, { name, ...settings }));
      return { key: storedInfo(outcome(result, id, name)), secret, webhookSecret };
    },

    // Config keys come first, in file order; then stored keys in creation order. A cursor may be either.
    async list({ after, limit }) {
      const all = config.keys;
      const configIndex = after === undefined ? -1 : all.findIndex((k) => configKeyId(k.name) === after);
      const inConfig = after === undefined || configIndex >= 0;
      // One more than the page holds tells whether more follow.
      const head = inConfig ? all.slice(configIndex + 1, configIndex + 2 + limit) : [];
      const infos = await configInfos(head.slice(0, limit));
      if (head.length > limit) return { data: infos, hasMore: true };
      if (!inConfig && !isKeyId(after!)) throw unknownCursor();
      const page = await store.list({ after: inConfig ? undefined : after, limit: limit - infos.length + 1 });
      if (!page) throw unknownCursor();
      const data = [...infos, ...page.data.map(storedInfo)];
      return { data: data.slice(0, limit), hasMore: data.length > limit || page.hasMore };
    },

    async get(id) {
      const fromConfig = configKeys.get(id);
      if (fromConfig) return (await configInfos([fromConfig]))[0]!;
      const record = isKeyId(id) ? await store.get(id) : undefined;
      if (!record) throw keyNotFound(id);
      return storedInfo(record);
    },

    async update(id, params, ctx) {
      assertMutable(id);
      const { name, ...fields } = params;
      if (name !== undefined) checkName(name);
      checkModels(fields.models);
      const set: Record<string, unknown> = {};
      const clear: KeySettingName[] = [];
      const changes: Record<string, unknown> = name === undefined ? {} : { name };
      for (const field of KEY_SETTING_NAMES) {
        const value = fields[field];
        if (value === undefined) continue;
        // A cleared poll_rpm is the default again, not unlimited: config keys have the same floor.
        if (value === null && field === 'poll_rpm') set[field] = DEFAULT_POLL_RPM;
        else if (value === null) clear.push(field);
        else set[field] = value;
        changes[field] = value === null ? (field === 'poll_rpm' ? DEFAULT_POLL_RPM : field === 'disabled' ? false : null) : value;
      }
      if (Object.keys(changes).length === 0) {
        const record = await store.get(id);
        if (!record) throw keyNotFound(id);
        return { key: storedInfo(record) };
      }
      // Setting a webhook_url offers a fresh secret, which the store keeps only if the key has none;
      // clearing the url drops the secret, so setting one again later shows a new one.
      const offered = typeof fields.webhook_url === 'string' ? mintWebhookSecret() : undefined;
      const webhookSecret = fields.webhook_url === null ? null : offered;
      const record = outcome(await store.update(id, { name, set, clear, webhookSecret }, audited(ctx, 'key.update', id, changes)), id, name);
      // Of two racing updates that both offered one, only the one whose secret the store kept shows it.
      return { key: storedInfo(record), webhookSecret: offered !== undefined && record.webhookSecret === offered ? offered : undefined };
    },

    async rotate(id, graceSeconds, ctx) {
      assertMutable(id);
      const now = clock.now();
      const { secret, ...rotation } = newSecret();
      const previousExpiresAt = graceSeconds > 0 ? now + graceSeconds * 1000 : undefined;
      const stopsAt = previousExpiresAt ?? now;
      const changes = { redacted: redactTail(rotation.secretTail), previous_secret_expires_at: Math.floor(stopsAt / 1000) };
      const result = await store.rotate(id, { ...rotation, previousExpiresAt }, audited(ctx, 'key.rotate', id, changes));
      return { key: storedInfo(outcome(result, id)), secret, previousSecretExpiresAt: stopsAt };
    },

    async revoke(id, ctx) {
      assertMutable(id);
      outcome(await store.revoke(id, audited(ctx, 'key.revoke', id, {})), id);
    },
  };
}

