import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCopies, type Copies } from '../../src/storage/copies.js';
import { createFsStorage } from '../../src/storage/fs-storage.js';
import { createMemoryTaskStore } from '../../src/stores/memory-task-store.js';
import type { TaskStore } from '../../src/stores/task-store.js';
import { makeRecord } from '../stores/task-store.contract.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';
import { chunked } from './content-storage.contract.js';

describe('custody copies', () => {
  let dir: string;
  let clock: ManualClock;
  let store: TaskStore;
  let copies: Copies;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reelay-copies-'));
    clock = manualClock(Date.now());
    store = createMemoryTaskStore({ clock, retentionDays: 90 });
    copies = createCopies({ storage: createFsStorage({ dir, clock }), store, clock, config: { max_bytes: 1000, retention_days: 30 } });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const answer = (bytes: Buffer, contentLength: number | undefined = bytes.length) => ({ status: 200 as const, body: chunked(bytes, 100), contentType: 'video/mp4', contentLength });

  it('records what it stored, with the retention it promises', async () => {
    const record = makeRecord(clock.now());
    await store.put(record);
    const entry = await copies.store(record.id, 'video', answer(Buffer.alloc(500, 1)));
    await copies.record(record.id, 'video', entry);
    expect((await store.get(record.id))?.custody?.video).toEqual({ ...entry, status: 'stored', size: 500, storedAt: clock.now(), expiresAt: Math.floor(clock.now() / 1000) + 30 * 86_400 });
    expect(await copies.find(record.id, 'video')).toEqual(entry);
  });

  it('calls a file over max_bytes too large, announced or not, and stores nothing of it', async () => {
    const record = makeRecord(clock.now());
    expect(await copies.store(record.id, 'video', answer(Buffer.alloc(1001)))).toEqual({ status: 'too_large', at: clock.now() });
    expect(await copies.store(record.id, 'video', answer(Buffer.alloc(1001), undefined))).toEqual({ status: 'too_large', at: clock.now() });
    // No file, no temp file: at most the empty folder, which the retention sweep removes.
    expect((await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())).toEqual([]);
    expect(await copies.find(record.id, 'video')).toBeUndefined();
  });

  it('deletes its file instead of recording it when the video was deleted during the copy', async () => {
    const record = makeRecord(clock.now());
    await store.put(record);
    const entry = await copies.store(record.id, 'thumbnail', answer(Buffer.alloc(10)));
    await store.delete(record.id);
    await copies.record(record.id, 'thumbnail', entry);
    expect(await copies.find(record.id, 'thumbnail')).toBeUndefined();
    expect(await store.get(record.id)).toBeUndefined();
  });

  it('refuses a partial answer', async () => {
    await expect(copies.store('video_x', 'video', { ...answer(Buffer.alloc(10)), status: 206 })).rejects.toThrow(/not the whole file/);
  });
});
