import { hash, timingSafeEqual } from 'node:crypto';
import type { KeyConfig } from '../config/schema.js';

/** Who is calling: a gateway key's name and limits, never the secret itself. */
export interface Principal {
  name: string;
  models?: readonly string[] | undefined;
  rpm?: number | undefined;
  pollRpm?: number | undefined;
  maxConcurrent?: number | undefined;
}

export interface KeyRing {
  /** The key's principal, or undefined for an unknown key. */
  authenticate(token: string): Principal | undefined;
}

/** One-shot crypto.hash: a fraction of createHash's cost on this per-request path. */
export const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/**
 * Keys are held only as SHA-256 digests. Every lookup compares the presented
 * key's digest with every configured digest in constant time, so neither the
 * match nor its position leaks through timing.
 */
export function createKeyRing(keys: readonly KeyConfig[]): KeyRing {
  const entries = keys.map((k) => ({
    digest: k.sha256 !== undefined ? Buffer.from(k.sha256, 'hex') : sha256(k.key!),
    principal: Object.freeze({
      name: k.name,
      models: k.models,
      rpm: k.rpm,
      pollRpm: k.poll_rpm,
      maxConcurrent: k.max_concurrent,
    }) satisfies Principal,
  }));
  return {
    authenticate(token) {
      const digest = sha256(token);
      let found: Principal | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(entry.digest, digest)) found ??= entry.principal;
      }
      return found;
    },
  };
}
