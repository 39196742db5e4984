import type { KeyEntry } from './authenticator.js';

export interface KeyCacheOptions {
  /** The most digests held; the least recently used goes first. */
  maxEntries: number;
}

/** A cached lookup: the key found, or null for "no such key" (a negative entry). */
interface Cached {
  entry: KeyEntry | null;
  expiresAt: number;
}

/**
 * Lookups by secret digest, bounded in size and in age. Negative entries
 * spare the store a client that keeps sending a wrong or revoked key; they
 * live briefly and go on every change, so a key created a moment ago on
 * another instance is never refused from here.
 */
export interface KeyCache {
  /** The cached lookup at `now`, or undefined when there is none (or it is too old). */
  get(digest: string, now: number): Cached | undefined;
  set(digest: string, entry: KeyEntry | null, expiresAt: number): void;
  /** Drops the entries of key `keyId` and every negative entry. */
  dropKey(keyId: string): void;
  clear(): void;
  readonly size: number;
}

export function createKeyCache({ maxEntries }: KeyCacheOptions): KeyCache {
  // A Map iterates in insertion order: re-inserting on each hit makes the first entry the least recently used.
  const entries = new Map<string, Cached>();
  return {
    get(digest, now) {
      const hit = entries.get(digest);
      if (!hit) return undefined;
      entries.delete(digest);
      if (hit.expiresAt <= now) return undefined;
      entries.set(digest, hit);
      return hit;
    },
    set(digest, entry, expiresAt) {
      entries.delete(digest);
      entries.set(digest, { entry, expiresAt });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    dropKey(keyId) {
      for (const [digest, { entry }] of entries) {
        if (entry === null || entry.principal.id === keyId) entries.delete(digest);
      }
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
