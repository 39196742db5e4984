import { mkdtemp, readdir, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsStorage } from '../../src/storage/fs-storage.js';
import { manualClock } from '../helpers/manual-clock.js';
import { chunked, describeStorageContract, readAll } from './content-storage.contract.js';

const DAY_MS = 86_400_000;

/** Every file below `dir`, relative and sorted (temp files and sidecars included). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describeStorageContract('fs', async (clock) => {
  const dir = await mkdtemp(join(tmpdir(), 'reelay-fs-storage-'));
  return { storage: createFsStorage({ dir: join(dir, 'content'), clock }), names: () => filesUnder(join(dir, 'content')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('fs storage specifics', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reelay-fs-only-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lays a file out as <dir>/<video id>/<variant> with its sidecar, stamped with the storage clock', async () => {
    const clock = manualClock();
    const storage = createFsStorage({ dir, clock });
    await storage.put('video_1/video', chunked(Buffer.from('bytes')), { contentType: 'video/mp4', maxBytes: 100 });
    expect(await filesUnder(dir)).toEqual(['video_1/video', 'video_1/video.json']);
    for (const name of ['video_1/video', 'video_1/video.json']) expect((await stat(join(dir, name))).mtimeMs).toBe(clock.now());
  });

  it('sweeps by the clock that stored the files, and removes emptied folders and abandoned temp files', async () => {
    const clock = manualClock();
    const storage = createFsStorage({ dir, clock });
    const body = () => chunked(Buffer.from('x'));
    await storage.put('video_old/video', body(), { contentType: 'video/mp4', maxBytes: 100 });
    // What a crash mid-write leaves: a dot-named temp file, as old as the files beside it.
    await mkdir(join(dir, 'video_torn'));
    await writeFile(join(dir, 'video_torn', '.video.abc123.tmp'), 'half');
    await utimes(join(dir, 'video_torn', '.video.abc123.tmp'), clock.now() / 1000, clock.now() / 1000);
    clock.advance(2 * DAY_MS);
    await storage.put('video_new/video', body(), { contentType: 'video/mp4', maxBytes: 100 });
    expect(await storage.sweep(clock.now() - DAY_MS)).toBe(1);
    expect(await readdir(dir)).toEqual(['video_new']);
    expect((await readAll(await storage.get('video_new/video'))).toString()).toBe('x');
  });
});
