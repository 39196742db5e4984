import type { Clock } from '../clock.js';
import { AuthenticationError } from '../errors.js';
import type { Principal } from './principal.js';

/** A key as authentication sees it: who it is, plus the facts that can refuse it. */
export interface KeyEntry {
  principal: Principal;
  disabled: boolean;
  /** ms since the epoch; the key answers key_expired from then on. */
  expiresAt?: number | undefined;
  /** ms; set on a rotated-out secret, which works until then (the grace period). */
  secretExpiresAt?: number | undefined;
}

/** Turns a bearer token into the calling key, or refuses it with the code that says why. */
export interface Authenticator {
  authenticate(token: string): Promise<Principal>;
}

export const invalidKey = () => new AuthenticationError('Incorrect API key provided.', { code: 'invalid_api_key' });

/** The one place a found key is still refused: disabled, expired, or a rotated-out secret past its grace. */
export function admit(entry: KeyEntry | undefined, clock: Clock): Principal {
  if (!entry) throw invalidKey();
  const now = clock.now();
  if (entry.secretExpiresAt !== undefined && now >= entry.secretExpiresAt) throw invalidKey();
  if (entry.disabled) throw new AuthenticationError('This API key is disabled.', { code: 'key_disabled' });
  if (entry.expiresAt !== undefined && now >= entry.expiresAt) throw new AuthenticationError('This API key has expired.', { code: 'key_expired' });
  return entry.principal;
}
