import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { GatewayError, RateLimitError, UpstreamError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { CredentialHealth } from '../types.js';

/**
 * One provider's API keys. Creates rotate round-robin over the usable keys;
 * every later call for a job uses the exact key that created it (found by
 * fingerprint, which is what the task record stores). Keys never leave this
 * module except as the `Authorization` header an adapter builds.
 */

export interface Credential {
  key: string;
  fingerprint: string;
}

/** `${providerId}:` + the first 16 hex digits of sha256(key): stable across restarts, safe to store and log. */
export function credentialFingerprint(providerId: string, key: string): string {
  return `${providerId}:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** How long a key rests after a 429 that carried no usable Retry-After. */
export const DEFAULT_COOL_DOWN_SECONDS = 30;

interface Entry {
  credential: Credential;
  disabledReason?: string;
  /** Epoch ms until which the key is skipped by next(). */
  coolUntil: number;
}

export interface CredentialPoolDeps {
  clock: Clock;
  logger: Logger;
}

export class CredentialPool {
  readonly providerId: string;
  readonly #entries: Entry[];
  readonly #byFingerprint = new Map<string, Entry>();
  readonly #deps: CredentialPoolDeps;
  #cursor = 0;

  constructor(providerId: string, keys: readonly string[], deps: CredentialPoolDeps) {
    this.providerId = providerId;
    this.#deps = deps;
    this.#entries = [];
    for (const key of keys) {
      const fingerprint = credentialFingerprint(providerId, key);
      if (this.#byFingerprint.has(fingerprint)) continue; // the same key listed twice is one credential
      const entry: Entry = { credential: Object.freeze({ key, fingerprint }), coolUntil: 0 };
      this.#entries.push(entry);
      this.#byFingerprint.set(fingerprint, entry);
    }
  }

  /**
   * The next usable key, round-robin. When every key is disabled the provider
   * cannot serve anything (502 `no_upstream_credentials`); when some are only
   * cooling down after a 429 the answer is a 429 with the shortest wait. Both
   * fail over to the alias's next target.
   */
  next(): Credential {
    const now = this.#deps.clock.now();
    const n = this.#entries.length;
    for (let i = 0; i < n; i++) {
      const entry = this.#entries[(this.#cursor + i) % n]!;
      if (entry.disabledReason === undefined && entry.coolUntil <= now) {
        this.#cursor = (this.#cursor + i + 1) % n;
        return entry.credential;
      }
    }
    const cooling = this.#entries.filter((e) => e.disabledReason === undefined);
    if (cooling.length > 0) {
      const waitMs = Math.min(...cooling.map((e) => e.coolUntil - now));
      throw new RateLimitError('Every API key Reelay holds for the upstream provider is rate limited; retry later.', waitMs / 1000, {
        code: 'no_upstream_credentials',
        failover: true,
        provider: this.providerId,
      });
    }
    throw new UpstreamError('Reelay has no usable API key left for the upstream provider (all were refused upstream).', {
      code: 'no_upstream_credentials',
      failover: true,
      provider: this.providerId,
    });
  }

  /**
   * Runs a create with the next key, and again with the following one when the
   * upstream refused the key (401/403, now disabled) or rate-limited it (429, now
   * cooling down): both answers prove no job was started, so another key is safe.
   * Timeouts and 5xx are never retried here (a job may exist); routing fails them over.
   * Tries each key at most once; when all fail, the last upstream error is thrown.
   */
  async withNextCredential<T>(attempt: (credential: Credential) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let i = 0; i < this.#entries.length; i++) {
      let credential: Credential;
      try {
        credential = this.next();
      } catch (err) {
        throw lastError ?? err;
      }
      try {
        return await attempt(credential);
      } catch (err) {
        const keyRefused = err instanceof GatewayError && (err.code === 'upstream_auth_failed' || (err.status === 429 && err.code === 'rate_limit_exceeded'));
        if (!keyRefused) throw err;
        lastError = err;
        this.#deps.logger.warn({ credential: credential.fingerprint, code: (err as GatewayError).code }, 'upstream refused the key; trying the next one');
      }
    }
    throw lastError;
  }

  /** The exact key that created a job. A disabled key is still returned: the job belongs to it. */
  byFingerprint(fingerprint: string): Credential {
    const entry = this.#byFingerprint.get(fingerprint);
    if (!entry) {
      throw new UpstreamError('The API key that created this video is no longer configured for its upstream provider.', {
        code: 'credential_unavailable',
        provider: this.providerId,
      });
    }
    return entry.credential;
  }

  /** Takes a key out of rotation for good (until restart), after the upstream refused it. */
  disable(fingerprint: string, reason: string): void {
    const entry = this.#byFingerprint.get(fingerprint);
    if (!entry || entry.disabledReason !== undefined) return;
    entry.disabledReason = reason;
    this.#deps.logger.error(
      { credential: fingerprint, reason, usable: this.#entries.filter((e) => e.disabledReason === undefined).length },
      'upstream credential disabled',
    );
  }

  /** Skips a key in next() for `seconds` (after a 429). Never shortens an existing cool-down. */
  coolDown(fingerprint: string, seconds: number = DEFAULT_COOL_DOWN_SECONDS): void {
    const entry = this.#byFingerprint.get(fingerprint);
    if (!entry) return;
    const s = Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_COOL_DOWN_SECONDS;
    const until = this.#deps.clock.now() + s * 1000;
    if (until <= entry.coolUntil) return;
    entry.coolUntil = until;
    this.#deps.logger.warn({ credential: fingerprint, seconds: s }, 'upstream credential cooling down');
  }

  health(): CredentialHealth[] {
    const now = this.#deps.clock.now();
    return this.#entries.map((e): CredentialHealth => {
      if (e.disabledReason !== undefined) return { fingerprint: e.credential.fingerprint, state: 'disabled', reason: e.disabledReason };
      if (e.coolUntil > now) {
        return {
          fingerprint: e.credential.fingerprint,
          state: 'cooling_down',
          reason: `rate limited upstream; usable again in ${Math.ceil((e.coolUntil - now) / 1000)} s`,
        };
      }
      return { fingerprint: e.credential.fingerprint, state: 'active' };
    });
  }

  /** Replaces every configured key occurring in `text`; used on upstream text before it goes anywhere. */
  redact(text: string): string {
    let out = text;
    for (const e of this.#entries) {
      if (e.credential.key.length >= 4 && out.includes(e.credential.key)) out = out.split(e.credential.key).join('[redacted]');
    }
    return out;
  }
}
