import type { Clock } from '../clock.js';
import type { KeyConfig } from '../config/schema.js';
import { admit, type Authenticator, type KeyEntry } from './authenticator.js';
import { configKeyId, sha256 } from './ids.js';
import type { Principal } from './principal.js';

/** A config file key as a principal: read-only, its id derived from its name, its videos filed by name. */
export function configPrincipal(k: KeyConfig): Principal {
  return Object.freeze({
    id: configKeyId(k.name),
    name: k.name,
    owner: k.name,
    source: 'config',
    models: k.models,
    rpm: k.rpm,
    pollRpm: k.poll_rpm,
    maxConcurrent: k.max_concurrent,
    secondsPerDay: k.seconds_per_day,
    secondsPerMonth: k.seconds_per_month,
    usdPerMonth: k.usd_per_month,
    webhookUrl: k.webhook_url,
  } satisfies Principal);
}

/** The config keys by secret digest (hex): secrets are only ever held as digests. */
export function configKeyEntries(keys: readonly KeyConfig[]): Map<string, KeyEntry> {
  return new Map(
    keys.map((k) => [
      k.sha256 ?? sha256(k.key!).toString('hex'),
      { principal: configPrincipal(k), disabled: k.disabled ?? false, expiresAt: k.expires_at === undefined ? undefined : k.expires_at * 1000 },
    ]),
  );
}

/** Authentication by config keys alone. A lookup by SHA-256 digest leaks nothing useful through timing. */
export function createConfigAuthenticator(keys: readonly KeyConfig[], clock: Clock): Authenticator {
  const entries = configKeyEntries(keys);
  return {
    async authenticate(token) {
      return admit(entries.get(sha256(token).toString('hex')), clock);
    },
  };
}
