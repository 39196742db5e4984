import type { Readable } from 'node:stream';
import type { ByteRange } from '../providers/byte-range.js';

/**
 * Where Reelay keeps its own copies of videos: one interface, a driver per
 * backend (fs-storage.ts, s3-storage.ts), one contract suite
 * (test/storage/content-storage.contract.ts). Keys are Reelay's own
 * (`<video id>/<variant>`, see custody-keys.ts); a driver maps them to paths
 * or object names and never lets a reader see a file that is not complete.
 */
export interface ContentStorage {
  /** `fs` or `s3`, for logs. */
  readonly kind: string;
  /**
   * How many puts the driver runs at once (undefined: no limit); the rest
   * wait, their bodies paused. Custody opens no more provider downloads than
   * this at a time, so none sits idle (and times out) waiting for a slot.
   */
  readonly concurrentPuts: number | undefined;
  /**
   * Streams `body` under `key` with bounded memory, measuring it on the way,
   * and resolves once the file is durable and visible, complete, to every
   * reader. On any failure (the body errors, it exceeds `maxBytes`, `signal`
   * aborts) nothing is stored and an earlier file under the key stays as it was.
   */
  put(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  /** The committed file's facts, or undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
  /** The bytes, or the inclusive `range` of them; rejects with NotStoredError when there is no file. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the file; removing a file that is not there succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Retention: removes every file (and any leftover of an abandoned write)
   * last written before `cutoffMs`, and answers how many files went. Safe to
   * run on several instances at once: every removal is idempotent.
   */
  sweep(cutoffMs: number): Promise<number>;
  close(): Promise<void>;
}

export interface PutOptions {
  contentType: string;
  /** A body longer than this fails with TooLargeError before anything is committed. */
  maxBytes: number;
  /** When the source announced its length: a body of any other length fails (a cut download is never kept). */
  expectedBytes?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** A committed file, as put measured it. */
export interface StoredObject {
  size: number;
  contentType: string;
  /** Hex sha256 of the bytes. */
  sha256: string;
  /** ms since the epoch (the storage's clock) when the file was committed. */
  storedAt: number;
}

export class NotStoredError extends Error {
  constructor(key: string) {
    super(`no stored file under ${key}`);
    this.name = 'NotStoredError';
  }
}

export class TooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than storage.max_bytes (${maxBytes} bytes)`);
    this.name = 'TooLargeError';
  }
}

/** The body was not as long as its source said: a cut download. */
export class LengthMismatchError extends Error {
  constructor(expected: number, actual: number) {
    super(`the body was ${actual} bytes, not the ${expected} its source announced`);
    this.name = 'LengthMismatchError';
  }
}
