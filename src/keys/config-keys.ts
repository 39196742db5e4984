import type { KeyConfig } from '../config/schema.js';
import type { KeyEntry } from './authenticator.js';
import { configKeyId, sha256 } from './ids.js';
import { principalFrom, type Principal } from './principal.js';

/** A config file key as a principal: read-only, its id derived from its name, its videos filed by name. */
export function configPrincipal(k: KeyConfig): Principal {
  return principalFrom({ id: configKeyId(k.name), name: k.name, owner: k.name, source: 'config' }, k);
}

/** The config keys by secret digest (hex): secrets are only ever held as digests. A lookup by digest leaks nothing useful through timing. */
export function configKeyEntries(keys: readonly KeyConfig[]): Map<string, KeyEntry> {
  return new Map(
    keys.map((k) => [
      k.sha256 ?? sha256(k.key!).toString('hex'),
      { principal: configPrincipal(k), disabled: k.disabled ?? false, expiresAt: k.expires_at === undefined ? undefined : k.expires_at * 1000 },
    ]),
  );
}
