import type { Clock } from '../clock.js';
import type { KeyConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { admit, type Authenticator, type KeyEntry } from './authenticator.js';
import { configKeyEntries } from './config-keys.js';
import { sha256 } from './ids.js';
import { createKeyCache } from './key-cache.js';
import { TOUCH_INTERVAL_MS, type KeyRecord, type KeyStore } from './key-store.js';
import { principalFrom, type Principal } from './principal.js';

export interface KeyResolverOptions {
  configKeys: readonly KeyConfig[];
  store: KeyStore;
  clock: Clock;
  logger: Logger;
  /** How long a found key is trusted without a word from the change feed (a net, not the mechanism). */
  ttlMs?: number;
  /** How long "no such key" is remembered (dropped on any change anyway). */
  negativeTtlMs?: number;
  maxEntries?: number;
}

export interface KeyResolver extends Authenticator {
  /** Detaches from the store's change feed. */
  close(): void;
}

/** The key entry a digest opens on a stored key: its current secret, or the rotated-out one until its grace ends. */
export function storedKeyEntry(record: KeyRecord, digest: string): KeyEntry | undefined {
  const isCurrent = record.secretDigest === digest;
  if (!isCurrent && record.previous?.digest !== digest) return undefined;
  const { settings } = record;
  return {
    principal: principalFrom({ id: record.id, name: record.name, owner: record.id, source: 'api' }, settings),
    disabled: settings.disabled ?? false,
    expiresAt: settings.expires_at === undefined ? undefined : settings.expires_at * 1000,
    secretExpiresAt: isCurrent ? undefined : record.previous!.expiresAt,
  };
}

/**
 * Authentication by config keys and stored keys, with no store round trip in
 * steady state: config keys are a map built once; stored keys are looked up by
 * SHA-256 digest through an in-process cache that the store's change feed
 * keeps correct across instances. Whatever the source, admit() decides.
 *
 * Correctness under races: a lookup that was in flight when a change arrived
 * may have read the old record, so its answer is not cached (the generation
 * check), and requests arriving after the change never join it. While the
 * feed is not live the cache stands aside and every lookup goes to the store.
 */
export function createKeyResolver(options: KeyResolverOptions): KeyResolver {
  const { store, clock, logger, ttlMs = 30_000, negativeTtlMs = 5_000, maxEntries = 10_000 } = options;
  const configEntries = configKeyEntries(options.configKeys);
  const cache = createKeyCache({ maxEntries });
  const pending = new Map<string, Promise<KeyEntry | undefined>>();
  let generation = 0;

  const detach = store.onChange((keyId) => {
    generation++;
    pending.clear();
    if (keyId === undefined) cache.clear();
    else cache.dropKey(keyId);
  });

  const read = async (digest: string): Promise<KeyEntry | undefined> => {
    const started = generation;
    const record = await store.findByDigest(digest);
    const entry = record && storedKeyEntry(record, digest);
    if (started === generation && store.isLive()) cache.set(digest, entry ?? null, clock.now() + (entry ? ttlMs : negativeTtlMs));
    return entry;
  };

  const lookup = (digest: string): Promise<KeyEntry | undefined> => {
    if (store.isLive()) {
      const hit = cache.get(digest, clock.now());
      if (hit) return Promise.resolve(hit.entry ?? undefined);
    }
    let running = pending.get(digest);
    if (!running) {
      running = read(digest).finally(() => {
        if (pending.get(digest) === running) pending.delete(digest);
      });
      pending.set(digest, running);
    }
    return running;
  };

  // last_used_at is written off the request path, at most once a minute per key from this instance.
  const touched = new Map<string, number>();
  const touch = (principal: Principal): void => {
    const now = clock.now();
    const last = touched.get(principal.id);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    if (touched.size >= maxEntries) touched.clear();
    touched.set(principal.id, now);
    store.touch(principal.id, now, { configKey: principal.source === 'config' }).catch((err: unknown) => {
      logger.warn({ err: { message: (err as Error).message }, keyId: principal.id }, 'could not record a key use');
    });
  };

  return {
    async authenticate(token) {
      const digest = sha256(token).toString('hex');
      const principal = admit(configEntries.get(digest) ?? (await lookup(digest)), clock);
      touch(principal);
      return principal;
    },
    close: detach,
  };
}
