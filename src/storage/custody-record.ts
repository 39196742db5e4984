import type { Variant } from '../openai/videos.js';

/**
 * What a video's record says about the copies Reelay holds of its files. It
 * lives in the TaskRecord (one store field per variant), so every instance
 * answers /content and `expires_at` from the same facts without asking storage.
 */

/** A file Reelay holds, committed to storage before this entry was written. */
export interface StoredEntry {
  status: 'stored';
  size: number;
  contentType: string;
  /** Hex sha256 of the bytes; the ETag is this, quoted. */
  sha256: string;
  /** ms since the epoch (the injected clock) when the file was committed. */
  storedAt: number;
  /**
   * Unix seconds after which Reelay no longer serves it: storedAt + retention_days
   * as configured when it was stored, so `expires_at` keeps the promise it made.
   */
  expiresAt: number;
}

/** A file over `storage.max_bytes`: never stored, always streamed from the provider. */
export interface TooLargeEntry {
  status: 'too_large';
  /** ms since the epoch when custody gave up on it. */
  at: number;
}

export type CustodyEntry = StoredEntry | TooLargeEntry;

/** Per variant; a variant absent here has not been copied (yet). */
export type CustodyFiles = Partial<Record<Variant, CustodyEntry>>;

export const storedEntry = (files: CustodyFiles | undefined, variant: Variant): StoredEntry | undefined => {
  const entry = files?.[variant];
  return entry?.status === 'stored' ? entry : undefined;
};
