import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CustodyEntry } from '../../src/storage/custody-record.js';
import type { TaskRecord, TaskState, TaskStore } from '../../src/stores/task-store.js';
import { mintVideoId } from '../../src/videos/video-id.js';

/**
 * The behaviour every TaskStore must share. Each implementation's test file
 * calls describeTaskStoreContract with a factory; the suite never looks
 * inside a store, so passing it is what "interchangeable" means.
 */

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export interface TaskStoreHarness {
  store: TaskStore;
  /** The clock the store was built with; advancing it ages every record. */
  clock: ManualClock;
  cleanup(): Promise<void>;
}

export type TaskStoreFactory = (options: { retentionDays: number }) => Promise<TaskStoreHarness>;

export function createManualClock(startMs = Date.now()): ManualClock {
  let now = startMs;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

const RETENTION_DAYS = 2;
const RETENTION_MS = RETENTION_DAYS * 86_400_000;

export function queuedState(): TaskState {
  return { status: 'queued', progress: 0, error: null, completedAt: null, expiresAt: null };
}

export function makeRecord(createdAt: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  const id = overrides.id ?? mintVideoId(createdAt);
  return {
    id,
    owner: 'alice',
    provider: 'sandbox',
    upstreamId: `up_${id.slice(-8)}`,
    credential: 'sha256:0123abcd',
    model: 'sora-2',
    upstreamModel: 'sora-2',
    prompt: 'a calico cat on a windowsill',
    seconds: '4',
    size: '720x1280',
    remixedFrom: null,
    createdAt,
    updatedAt: createdAt,
    state: queuedState(),
    ...overrides,
  };
}

function fullRecord(createdAt: number): TaskRecord {
  const id = mintVideoId(createdAt);
  return makeRecord(createdAt, {
    id,
    owner: 'team/ops {eu}: ünï',
    provider: 'aimlapi',
    upstreamId: 'gen-42/xyz',
    model: 'sora-2-pro',
    upstreamModel: 'openai/sora-2-pro-t2v',
    prompt: 'A "quoted" prompt — ünïcödé 🎬\nsecond line\twith a tab and a \\ backslash',
    seconds: '12',
    size: '1792x1024',
    remixedFrom: mintVideoId(createdAt - 60_000),
    updatedAt: createdAt + 1500,
    state: {
      status: 'completed',
      progress: 100,
      error: null,
      completedAt: Math.floor(createdAt / 1000) + 90,
      expiresAt: Math.floor(createdAt / 1000) + 3600,
      rawStatus: 'SUCCEEDED',
      contentUrl: 'https://cdn.example.com/v/abc.mp4?sig=a%2Fb&x=1',
      usage: { credits_used: 12.5, tokens: [1, 2, 3], breakdown: { video: 10, audio: null, ok: true }, note: 'é' },
    },
  });
}

const ids = (page: { data: TaskRecord[] }): string[] => page.data.map((r) => r.id);

/** Follows `after` until hasMore is false, checking every page on the way. */
async function walk(store: TaskStore, owner: string, order: 'asc' | 'desc', limit: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.list(owner, { after, limit, order });
    seen.push(...ids(page));
    if (!page.hasMore) {
      expect(page.data.length).toBeLessThanOrEqual(limit);
      return seen;
    }
    expect(page.data).toHaveLength(limit);
    after = page.data[page.data.length - 1]?.id;
  }
  throw new Error('pagination did not terminate');
}

export function describeTaskStoreContract(name: string, factory: TaskStoreFactory): void {
  describe(`${name}: TaskStore contract`, () => {
    let harness: TaskStoreHarness;
    let store: TaskStore;
    let clock: ManualClock;

    beforeEach(async () => {
      harness = await factory({ retentionDays: RETENTION_DAYS });
      ({ store, clock } = harness);
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    /** Puts `count` records for `owner`, `perMs` of them minted in each millisecond. */
    async function seed(owner: string, count: number, perMs = 1): Promise<string[]> {
      const start = clock.now();
      const records = Array.from({ length: count }, (_, i) => makeRecord(start + Math.floor(i / perMs), { owner }));
      // Stored out of order, so sorting is the store's job and not an accident of insertion.
      for (const record of [...records].reverse()) await store.put(record);
      return records.map((r) => r.id).sort();
    }

    describe('put and get', () => {
      it('round-trips a record with every optional field exactly', async () => {
        const record = fullRecord(clock.now());
        await store.put(record);
        expect(await store.get(record.id)).toStrictEqual(record);
      });

      it('round-trips a minimal record and a failed state with an error', async () => {
        const minimal = makeRecord(clock.now());
        const failed = makeRecord(clock.now(), {
          state: { status: 'failed', progress: 37, error: { code: 'moderation_blocked', message: 'Blocked.' }, completedAt: 1_700_000_000, expiresAt: null },
        });
        await store.put(minimal);
        await store.put(failed);
        expect(await store.get(minimal.id)).toStrictEqual(minimal);
        expect(await store.get(failed.id)).toStrictEqual(failed);
      });

      it('treats optional fields set to undefined like absent ones', async () => {
        const record = makeRecord(clock.now(), { state: { ...queuedState(), rawStatus: undefined, contentUrl: undefined, usage: undefined } });
        await store.put(record);
        expect(await store.get(record.id)).toEqual(record);
      });

      it('answers undefined for an id it never stored', async () => {
        expect(await store.get(mintVideoId(clock.now()))).toBeUndefined();
        expect(await store.get('video_not-even-an-id')).toBeUndefined();
      });

      it('indexes a record put twice only once', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        await store.put({ ...record, prompt: 'changed' });
        const page = await store.list('alice', { limit: 10, order: 'asc' });
        expect(ids(page)).toEqual([record.id]);
        expect(page.data[0]?.prompt).toBe('changed');
      });
    });

    describe('updateState', () => {
      const running = (progress: number): TaskState => ({ status: 'in_progress', progress, error: null, completedAt: null, expiresAt: null, rawStatus: 'RUNNING' });
      const completed: TaskState = { status: 'completed', progress: 100, error: null, completedAt: 1_700_000_100, expiresAt: 1_700_003_700, contentUrl: 'https://cdn.example.com/x.mp4' };

      it('replaces the state and updatedAt of a live record', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        expect(await store.updateState(record.id, running(40), record.createdAt + 2000)).toBe('updated');
        expect(await store.get(record.id)).toStrictEqual({ ...record, state: running(40), updatedAt: record.createdAt + 2000 });
      });

      it("answers 'missing' for an unknown id and creates nothing", async () => {
        const id = mintVideoId(clock.now());
        expect(await store.updateState(id, running(10), clock.now())).toBe('missing');
        expect(await store.get(id)).toBeUndefined();
      });

      it('writes a terminal state once', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        expect(await store.updateState(record.id, completed, record.createdAt + 5000)).toBe('updated');
        expect(await store.updateState(record.id, running(99), record.createdAt + 6000)).toBe('terminal');
        expect(await store.updateState(record.id, { ...completed, progress: 99 }, record.createdAt + 7000)).toBe('terminal');
        expect(await store.get(record.id)).toStrictEqual({ ...record, state: completed, updatedAt: record.createdAt + 5000 });
      });

      it('never rewrites a record stored as failed', async () => {
        const failed: TaskState = { status: 'failed', progress: 0, error: { code: 'internal_error', message: 'x' }, completedAt: 1, expiresAt: null };
        const record = makeRecord(clock.now(), { state: failed });
        await store.put(record);
        expect(await store.updateState(record.id, completed, clock.now())).toBe('terminal');
        expect((await store.get(record.id))?.state).toStrictEqual(failed);
      });

      it('keeps a terminal state against concurrent writers', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        const writes = [
          ...Array.from({ length: 5 }, (_, i) => store.updateState(record.id, running(i * 10), clock.now())),
          store.updateState(record.id, completed, clock.now()),
          ...Array.from({ length: 5 }, (_, i) => store.updateState(record.id, running(50 + i), clock.now())),
        ];
        const results = await Promise.all(writes);
        expect(results[5]).toBe('updated');
        expect((await store.get(record.id))?.state).toStrictEqual(completed);
      });

      it('shows the new state in list', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        await store.updateState(record.id, running(60), clock.now());
        const page = await store.list('alice', { limit: 5, order: 'desc' });
        expect(page.data.map((r) => r.state)).toStrictEqual([running(60)]);
      });
    });

    describe('updateCustody', () => {
      const stored = (sha: string, storedAt: number): CustodyEntry => ({
        status: 'stored',
        size: 200_000,
        contentType: 'video/mp4',
        sha256: sha.repeat(64).slice(0, 64),
        storedAt,
        expiresAt: Math.floor(storedAt / 1000) + 30 * 86_400,
      });

      it('records one variant at a time, replacing only that variant, in get and list', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        const video = stored('a', clock.now());
        expect(await store.updateCustody(record.id, 'video', video)).toBe(true);
        expect(await store.updateCustody(record.id, 'thumbnail', { status: 'too_large', at: clock.now() })).toBe(true);
        const later = stored('b', clock.now() + 5);
        expect(await store.updateCustody(record.id, 'video', later)).toBe(true);
        const expected = { ...record, custody: { video: later, thumbnail: { status: 'too_large', at: clock.now() } } };
        expect(await store.get(record.id)).toStrictEqual(expected);
        expect((await store.list('alice', { limit: 5, order: 'asc' })).data).toStrictEqual([expected]);
      });

      it('keeps concurrent writes of different variants', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        const entries = { video: stored('1', 1), thumbnail: stored('2', 2), spritesheet: stored('3', 3) } as const;
        await Promise.all(Object.entries(entries).map(([variant, entry]) => store.updateCustody(record.id, variant as keyof typeof entries, entry)));
        expect((await store.get(record.id))?.custody).toStrictEqual(entries);
      });

      it('never writes custody through put, and a later put keeps what updateCustody wrote', async () => {
        const record = makeRecord(clock.now());
        // What a remix built from a stored source looks like: its files are the source's, not its own.
        await store.put({ ...record, custody: { video: stored('c', clock.now()) } });
        expect(await store.get(record.id)).toStrictEqual(record);
        const entry = stored('d', clock.now());
        await store.updateCustody(record.id, 'video', entry);
        await store.put({ ...record, prompt: 'changed' });
        expect((await store.get(record.id))?.custody).toStrictEqual({ video: entry });
      });

      it('never brings back a deleted, unknown or expired record', async () => {
        const record = makeRecord(clock.now());
        await store.put(record);
        await store.delete(record.id);
        expect(await store.updateCustody(record.id, 'video', stored('e', clock.now()))).toBe(false);
        expect(await store.get(record.id)).toBeUndefined();
        const unknown = mintVideoId(clock.now());
        expect(await store.updateCustody(unknown, 'video', stored('f', clock.now()))).toBe(false);
        expect(await store.get(unknown)).toBeUndefined();
        const old = makeRecord(clock.now());
        await store.put(old);
        clock.advance(RETENTION_MS);
        expect(await store.updateCustody(old.id, 'video', stored('0', clock.now()))).toBe(false);
        expect(await store.get(old.id)).toBeUndefined();
      });
    });

    describe('delete', () => {
      it('removes the record and its index entry once', async () => {
        const [first, second] = await seed('alice', 2);
        expect(await store.delete(first as string)).toBe(true);
        expect(await store.get(first as string)).toBeUndefined();
        expect(ids(await store.list('alice', { limit: 10, order: 'asc' }))).toEqual([second]);
        expect(await store.delete(first as string)).toBe(false);
        expect(await store.updateState(first as string, queuedState(), clock.now())).toBe('missing');
      });

      it('answers false for an id it never stored', async () => {
        expect(await store.delete(mintVideoId(clock.now()))).toBe(false);
      });
    });

    describe('list', () => {
      it("shows an owner only their own videos", async () => {
        const alice = await seed('alice', 3);
        const bob = await seed('bob', 2);
        const odd = await seed('team/ops {eu}: ünï', 2);
        expect(ids(await store.list('alice', { limit: 100, order: 'asc' }))).toEqual(alice);
        expect(ids(await store.list('bob', { limit: 100, order: 'asc' }))).toEqual(bob);
        expect(ids(await store.list('team/ops {eu}: ünï', { limit: 100, order: 'desc' }))).toEqual([...odd].reverse());
        expect(await store.list('carol', { limit: 100, order: 'asc' })).toStrictEqual({ data: [], hasMore: false });
        expect(await store.list('ALICE', { limit: 100, order: 'asc' })).toStrictEqual({ data: [], hasMore: false });
      });

      it('orders by creation, ties broken by id, in both directions', async () => {
        const sorted = await seed('alice', 12, 4);
        expect(ids(await store.list('alice', { limit: 100, order: 'asc' }))).toEqual(sorted);
        expect(ids(await store.list('alice', { limit: 100, order: 'desc' }))).toEqual([...sorted].reverse());
      });

      it('returns whole records', async () => {
        const record = fullRecord(clock.now());
        await store.put(record);
        expect((await store.list(record.owner, { limit: 1, order: 'asc' })).data).toStrictEqual([record]);
      });

      it.each([1, 2, 3, 5, 13, 14])('visits every video exactly once with pages of %i', async (limit) => {
        const sorted = await seed('alice', 13, 3);
        expect(await walk(store, 'alice', 'asc', limit)).toEqual(sorted);
        expect(await walk(store, 'alice', 'desc', limit)).toEqual([...sorted].reverse());
      });

      it('excludes the `after` cursor itself', async () => {
        const sorted = await seed('alice', 6, 2);
        const cursor = sorted[2] as string;
        expect(ids(await store.list('alice', { after: cursor, limit: 2, order: 'asc' }))).toEqual(sorted.slice(3, 5));
        expect(ids(await store.list('alice', { after: cursor, limit: 2, order: 'desc' }))).toEqual([sorted[1], sorted[0]]);
      });

      it('accepts a cursor that is no longer stored', async () => {
        const sorted = await seed('alice', 5);
        const cursor = sorted[2] as string;
        await store.delete(cursor);
        expect(ids(await store.list('alice', { after: cursor, limit: 10, order: 'asc' }))).toEqual(sorted.slice(3));
        expect(ids(await store.list('alice', { after: cursor, limit: 10, order: 'desc' }))).toEqual([sorted[1], sorted[0]]);
      });

      it('honours limit and reports hasMore exactly', async () => {
        const sorted = await seed('alice', 5);
        for (const order of ['asc', 'desc'] as const) {
          const expected = order === 'asc' ? sorted : [...sorted].reverse();
          expect(await store.list('alice', { limit: 4, order })).toMatchObject({ hasMore: true });
          expect(ids(await store.list('alice', { limit: 4, order }))).toEqual(expected.slice(0, 4));
          expect(await store.list('alice', { limit: 5, order }).then((p) => [ids(p), p.hasMore])).toEqual([expected, false]);
          expect(await store.list('alice', { limit: 50, order }).then((p) => [ids(p), p.hasMore])).toEqual([expected, false]);
          const last = expected[4] as string;
          expect(await store.list('alice', { after: last, limit: 3, order })).toStrictEqual({ data: [], hasMore: false });
        }
      });
    });

    describe('retention', () => {
      it('drops a record from get, list, update and delete once retentionDays have passed', async () => {
        const old = makeRecord(clock.now());
        await store.put(old);
        clock.advance(RETENTION_MS - 1);
        expect(await store.get(old.id)).toStrictEqual(old);
        clock.advance(1);
        expect(await store.get(old.id)).toBeUndefined();
        expect(await store.list('alice', { limit: 10, order: 'asc' })).toStrictEqual({ data: [], hasMore: false });
        expect(await store.updateState(old.id, queuedState(), clock.now())).toBe('missing');
        expect(await store.delete(old.id)).toBe(false);
      });

      it('keeps pages full and hasMore right when older records expire', async () => {
        const old = await seed('alice', 4);
        clock.advance(RETENTION_MS / 2);
        const fresh = await seed('alice', 3);
        expect(ids(await store.list('alice', { limit: 7, order: 'asc' }))).toEqual([...old, ...fresh]);
        clock.advance(RETENTION_MS / 2 + 10);
        expect(await store.list('alice', { limit: 3, order: 'asc' }).then((p) => [ids(p), p.hasMore])).toEqual([fresh, false]);
        expect(await store.list('alice', { limit: 2, order: 'desc' }).then((p) => [ids(p), p.hasMore])).toEqual([[fresh[2], fresh[1]], true]);
        expect(await walk(store, 'alice', 'desc', 1)).toEqual([...fresh].reverse());
        for (const id of old) expect(await store.get(id)).toBeUndefined();
      });

      it('does not keep a record that is already past retention when put', async () => {
        const record = makeRecord(clock.now() - RETENTION_MS);
        await store.put(record);
        expect(await store.get(record.id)).toBeUndefined();
        expect((await store.list('alice', { limit: 10, order: 'asc' })).data).toEqual([]);
      });
    });

    describe('isolation of stored state', () => {
      it('is not changed through objects passed in or handed out', async () => {
        const record = fullRecord(clock.now());
        const original = structuredClone(record);
        await store.put(record);
        record.prompt = 'mutated after put';
        record.state.progress = 1;
        (record.state.usage as { tokens: number[] }).tokens.push(99);

        const got = (await store.get(record.id)) as TaskRecord;
        expect(got).toStrictEqual(original);
        got.owner = 'mallory';
        got.state.status = 'failed';
        const [listed] = (await store.list(original.owner, { limit: 1, order: 'asc' })).data;
        (listed as TaskRecord).state.progress = 0;
        (listed as TaskRecord).model = 'other';

        const state: TaskState = { status: 'in_progress', progress: 10, error: null, completedAt: null, expiresAt: null, usage: { n: 1 } };
        const fresh = makeRecord(clock.now());
        await store.put(fresh);
        await store.updateState(fresh.id, state, clock.now());
        (state.usage as { n: number }).n = 2;
        state.progress = 80;

        expect(await store.get(record.id)).toStrictEqual(original);
        expect((await store.get(fresh.id))?.state).toStrictEqual({ ...state, progress: 10, usage: { n: 1 } });
      });
    });

    describe('health', () => {
      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}
