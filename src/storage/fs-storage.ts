import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../clock.js';
import { NotStoredError, type ContentStorage, type StoredObject } from './content-storage.js';
import { assertKey } from './keys.js';
import { adoptBody, createMeter } from './meter.js';
import { decodeSidecar, encodeSidecar, isSidecar, sidecarKey } from './sidecar.js';

export interface FsStorageOptions {
  /** storage.dir; created on the first write. */
  dir: string;
  clock: Clock;
}

const isMissing = (err: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/** Temp files start with a dot, which no key segment may (keys.ts): they can never be mistaken for a file. */
const tempPath = (path: string): string => join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);

/**
 * Writes through `write` into a temp file beside `path`, stamps it with the
 * storage clock's time (what the retention sweep reads), fsyncs it and renames
 * it into place: rename within a directory is atomic, so a reader sees the
 * old file or the whole new one, never part of it. Nothing is left on failure.
 */
async function writeAtomically(path: string, write: (handle: FileHandle) => Promise<void>, stampedAt: () => number): Promise<number> {
  const temp = tempPath(path);
  const handle = await open(temp, 'wx', 0o644);
  let closed = false;
  try {
    await write(handle);
    const at = stampedAt();
    await handle.utimes(at / 1000, at / 1000);
    await handle.sync();
    closed = true;
    await handle.close();
    await rename(temp, path);
    return at;
  } catch (err) {
    if (!closed) await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * A Writable onto an open handle that leaves it open: writeAtomically still
 * stamps, fsyncs and closes it. (A handle's own write stream with autoClose
 * off never emits 'close', so a pipeline into it never settles.)
 */
const toHandle = (handle: FileHandle): Writable =>
  new Writable({
    writev(chunks, done) {
      handle.writev(chunks.map((c) => c.chunk as Buffer)).then(() => done(), done);
    },
  });

/** Makes the renames in `dir` durable: without it a power cut can forget a rename that put reported done. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The embedded default driver: files under `storage.dir`, `<dir>/<video id>/<variant>`
 * plus its `.json` sidecar. For one instance, or several sharing one volume.
 */
export function createFsStorage({ dir, clock }: FsStorageOptions): ContentStorage {
  const root = resolve(dir);
  const pathOf = (key: string): string => join(root, assertKey(key));

  /**
   * Removes what is older than `cutoffMs` below `folder`, and the folders that
   * leaves empty; answers how many files (not sidecars or temp files) went and
   * whether anything did.
   */
  const sweepFolder = async (folder: string, cutoffMs: number): Promise<{ files: number; any: boolean }> => {
    const swept = { files: 0, any: false };
    const entries = await readdir(folder, { withFileTypes: true }).catch((err: unknown) => (isMissing(err) ? [] : Promise.reject(err)));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        const below = await sweepFolder(path, cutoffMs);
        swept.files += below.files;
        swept.any ||= below.any;
        // Only a folder this sweep emptied: an empty one may be a put's, about to hold its temp file.
        // One still holding files (ENOTEMPTY) or already gone is left as it is.
        if (below.any) await rmdir(path).catch(() => undefined);
        continue;
      }
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile() || st.mtimeMs >= cutoffMs) continue;
      await rm(path, { force: true });
      swept.any = true;
      if (!isSidecar(entry.name) && !entry.name.startsWith('.')) swept.files++;
    }
    return swept;
  };

  return {
    kind: 'fs',
    // One chunk in memory per put: no reason to queue them.
    concurrentPuts: undefined,

    async put(key, body, { maxBytes, expectedBytes, contentType, signal }) {
      adoptBody(body);
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const meter = createMeter(maxBytes, expectedBytes);
      const storedAt = await writeAtomically(path, (handle) => pipeline(body, meter.stream, toHandle(handle), { signal }), () => clock.now());
      const facts: StoredObject = { ...meter.result(), contentType, storedAt };
      // The sidecar goes last: it is the commit marker (sidecar.ts).
      await writeAtomically(sidecarKey(path), (handle) => handle.writeFile(encodeSidecar(facts)), () => storedAt);
      await syncDir(dirname(path));
      return facts;
    },

    async head(key) {
      try {
        return decodeSidecar(await readFile(sidecarKey(pathOf(key)), 'utf8'));
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },

    async get(key, range) {
      let handle: FileHandle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (err) {
        if (isMissing(err)) throw new NotStoredError(key);
        throw err;
      }
      // The stream closes the handle when it ends or is destroyed (a client that went away).
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    },

    async delete(key) {
      const path = pathOf(key);
      // Commit marker first, so a half-done delete reads as "not stored", never as a file without its bytes.
      await rm(sidecarKey(path), { force: true });
      await rm(path, { force: true });
      await rmdir(dirname(path)).catch(() => undefined);
    },

    async sweep(cutoffMs) {
      return (await sweepFolder(root, cutoffMs)).files;
    },

    async close() {},
  };
}
