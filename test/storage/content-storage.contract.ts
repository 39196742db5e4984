import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LengthMismatchError, NotStoredError, TooLargeError, type ContentStorage } from '../../src/storage/content-storage.js';
import { deterministicBytes } from '../fakes/openai-upstream.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';
import { eventually } from '../helpers/reelay.js';

/**
 * What every ContentStorage driver must do, run on fs and on s3 (against a
 * real S3-compatible server). The suite only uses the interface, plus the
 * harness's `names()` to prove that a failed write leaves nothing behind.
 */

export interface StorageHarness {
  storage: ContentStorage;
  /** Every name the driver has written under its root (files, sidecars, temp files), sorted. */
  names(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** The driver under test, built on `clock` (a manual clock at real time: S3 stamps objects with its own clock). */
export type StorageFactory = (clock: ManualClock) => Promise<StorageHarness>;

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `data` as a stream of `chunk`-byte pieces, as a provider's body arrives. */
export const chunked = (data: Buffer, chunk = 64 * 1024): Readable =>
  Readable.from((function* () {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  })());

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const MiB = 1024 * 1024;
const put = (storage: ContentStorage, key: string, data: Buffer, maxBytes = 64 * MiB) => storage.put(key, chunked(data), { contentType: 'video/mp4', maxBytes });

export function describeStorageContract(name: string, factory: StorageFactory): void {
  describe(`${name}: ContentStorage contract`, () => {
    let h: StorageHarness;
    let storage: ContentStorage;
    let clock: ManualClock;

    beforeEach(async () => {
      clock = manualClock(Date.now());
      h = await factory(clock);
      storage = h.storage;
    });
    afterEach(() => h.cleanup());

    it('stores a stream, measuring size, type and sha256, and serves it whole and by range', async () => {
      const data = deterministicBytes('contract:small', 200_000);
      const facts = await put(storage, 'video_a/video', data);
      expect(facts).toStrictEqual({ size: data.length, contentType: 'video/mp4', sha256: sha256(data), storedAt: clock.now() });
      expect(await storage.head('video_a/video')).toStrictEqual(facts);
      expect(await readAll(await storage.get('video_a/video'))).toEqual(data);
      expect(await readAll(await storage.get('video_a/video', { start: 10, end: 19 }))).toEqual(data.subarray(10, 20));
      expect(await readAll(await storage.get('video_a/video', { start: data.length - 1, end: data.length - 1 }))).toEqual(data.subarray(-1));
    });

    it('streams a file larger than a multipart part, byte for byte', async () => {
      const data = deterministicBytes('contract:large', 12 * MiB + 321);
      const facts = await put(storage, 'video_b/video', data);
      expect(facts.sha256).toBe(sha256(data));
      expect(sha256(await readAll(await storage.get('video_b/video')))).toBe(sha256(data));
      const mid = 6 * MiB;
      expect(await readAll(await storage.get('video_b/video', { start: mid - 5, end: mid + 5 }))).toEqual(data.subarray(mid - 5, mid + 6));
    });

    it('stores an empty file', async () => {
      const facts = await put(storage, 'video_c/thumbnail', Buffer.alloc(0));
      expect(facts).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(await readAll(await storage.get('video_c/thumbnail'))).toEqual(Buffer.alloc(0));
    });

    it('replaces a file whole', async () => {
      await put(storage, 'video_d/video', Buffer.from('first version'));
      clock.advance(1000);
      const facts = await put(storage, 'video_d/video', Buffer.from('second'));
      expect(await storage.head('video_d/video')).toStrictEqual(facts);
      expect((await readAll(await storage.get('video_d/video'))).toString()).toBe('second');
    });

    it('shows no part of a file while it is being written', async () => {
      await put(storage, 'video_e/video', Buffer.from('the old file'));
      const [replacing, fresh] = [new PassThrough(), new PassThrough()];
      const writes = [storage.put('video_e/video', replacing, { contentType: 'video/mp4', maxBytes: 64 * MiB }), storage.put('video_f/video', fresh, { contentType: 'video/mp4', maxBytes: 64 * MiB })];
      for (const body of [replacing, fresh]) body.write(deterministicBytes('half', 100_000));
      // Once the driver has taken in what it was given, a reader would see it if it ever could.
      await eventually(async () => (replacing.readableLength + fresh.readableLength === 0 ? true : undefined));
      expect((await readAll(await storage.get('video_e/video'))).toString()).toBe('the old file');
      expect(await storage.head('video_f/video')).toBeUndefined();
      await expect(storage.get('video_f/video')).rejects.toBeInstanceOf(NotStoredError);
      replacing.end(Buffer.from('!'));
      fresh.end();
      await Promise.all(writes);
      expect((await readAll(await storage.get('video_e/video'))).length).toBe(100_001);
    });

    it('refuses a body over maxBytes, keeping nothing of it and the earlier file as it was', async () => {
      await put(storage, 'video_g/video', Buffer.from('earlier'));
      const before = await h.names();
      const err = await put(storage, 'video_g/video', deterministicBytes('big', 6 * MiB), 5 * MiB).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TooLargeError);
      await expect(put(storage, 'video_h/video', deterministicBytes('big', 300_000), 200_000)).rejects.toBeInstanceOf(TooLargeError);
      expect(await h.names()).toEqual(before);
      expect((await readAll(await storage.get('video_g/video'))).toString()).toBe('earlier');
      expect(await storage.head('video_h/video')).toBeUndefined();
    });

    it('refuses a body shorter than announced, and one that fails or is aborted midway, keeping nothing', async () => {
      const before = await h.names();
      const data = deterministicBytes('cut', 100_000);
      await expect(storage.put('video_i/video', chunked(data), { contentType: 'video/mp4', maxBytes: MiB, expectedBytes: data.length + 1 })).rejects.toBeInstanceOf(LengthMismatchError);

      const failing = new PassThrough();
      const failed = storage.put('video_i/video', failing, { contentType: 'video/mp4', maxBytes: MiB });
      failing.write(data);
      setImmediate(() => failing.destroy(new Error('upstream connection reset')));
      await expect(failed).rejects.toThrow();

      const controller = new AbortController();
      const slow = new PassThrough();
      const aborted = storage.put('video_i/video', slow, { contentType: 'video/mp4', maxBytes: MiB, signal: controller.signal });
      slow.write(data);
      setImmediate(() => controller.abort());
      await expect(aborted).rejects.toThrow();

      expect(await h.names()).toEqual(before);
      expect(await storage.head('video_i/video')).toBeUndefined();
    });

    it('answers undefined and NotStoredError for a key it never stored', async () => {
      expect(await storage.head('video_z/video')).toBeUndefined();
      await expect(storage.get('video_z/video')).rejects.toBeInstanceOf(NotStoredError);
    });

    it('refuses keys that could leave its root or collide with its own files', async () => {
      for (const key of ['../escape', 'a/../../b', '.hidden', 'a/.tmp', 'a/b.json', '/abs', 'a//b', '']) {
        await expect(storage.head(key), key).rejects.toThrow(/not a valid storage key/);
      }
    });

    it('deletes a file, idempotently', async () => {
      await put(storage, 'video_j/video', Buffer.from('bytes'));
      await put(storage, 'video_j/thumbnail', Buffer.from('thumb'));
      await storage.delete('video_j/video');
      await storage.delete('video_j/video');
      await storage.delete('video_never/video');
      expect(await storage.head('video_j/video')).toBeUndefined();
      await expect(storage.get('video_j/video')).rejects.toBeInstanceOf(NotStoredError);
      expect((await readAll(await storage.get('video_j/thumbnail'))).toString()).toBe('thumb');
    });

    it('sweeps what was written before the cutoff, keeps what came after, and can run twice at once', async () => {
      const before = Date.now() - 60_000;
      await put(storage, 'video_k/video', Buffer.from('old'));
      await put(storage, 'video_k/thumbnail', Buffer.from('old thumb'));
      expect(await storage.sweep(before)).toBe(0);
      expect(await storage.head('video_k/video')).toBeDefined();
      const counts = await Promise.all([storage.sweep(Date.now() + 60_000), storage.sweep(Date.now() + 60_000)]);
      expect(Math.max(...counts)).toBe(2);
      expect(await storage.head('video_k/video')).toBeUndefined();
      await expect(storage.get('video_k/thumbnail')).rejects.toBeInstanceOf(NotStoredError);
      expect(await h.names()).toEqual([]);
    });
  });
}
