import { get } from 'node:http';
import { NotFoundError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEntry } from '../../src/storage/custody-record.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';
import { eventually, sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { sha256 } from './content-storage.contract.js';
import { startCustodyEnv, type CustodyEnv, type CustodyEnvOptions } from './support/custody-env.js';

/**
 * Custody under an injected clock, on the fs driver: retention, retries with
 * backoff, the copy made on the way through a download, max_bytes. The clock
 * only moves when a test says so, so the background poller never polls a
 * running job on its own: retrieves complete the videos (each is one upstream
 * poll, which runs the inline handlers only), the background poller then runs
 * the custody handler at once, as it is due now, and advancing the clock makes
 * a retry due.
 */

let env: CustodyEnv | undefined;
let clock: ManualClock;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const start = async (options: Partial<CustodyEnvOptions> = {}): Promise<CustodyEnv> => {
  clock = manualClock(Date.now());
  env = await startCustodyEnv({ driver: 'fs', clock, ...options });
  return env;
};

/** Resolves once the custody handler's first attempt on the video has run (in the background, right after completion). */
const firstCustodyAttempt = (e: CustodyEnv, id: string) =>
  eventually(async () => {
    const record = await e.record(id);
    const pending = record?.outbox?.pending.custody;
    return record?.outbox && (pending === undefined || pending.attempts >= 1) ? record : undefined;
  });

/** A completed video whose first custody attempt has run. */
const completedVideo = async (e: CustodyEnv, prompt: string) => {
  const { id } = await e.client.videos.create({ prompt });
  expect((await e.complete(id)).status).toBe('completed');
  await firstCustodyAttempt(e, id);
  return id;
};

const stored = (e: CustodyEnv, id: string) => e.record(id).then((r) => r?.custody?.video as StoredEntry | undefined);
const download = async (e: CustodyEnv, id: string, variant: 'video' | 'thumbnail' = 'video') =>
  Buffer.from(await (await e.client.videos.downloadContent(id, { variant })).arrayBuffer());
const failingContent = { status: 500, body: { error: { message: 'The server had an error.', type: 'server_error', param: null, code: null } } };
const expiredCode = (err: unknown) => (err instanceof NotFoundError ? err.code : err);

describe('retention', () => {
  it('serves until stored-at + retention_days, then answers 404 video_expired without asking the provider, and the sweep removes the files', async () => {
    const e = await start();
    const id = await completedVideo(e, 'retained');
    const entry = (await stored(e, id))!;
    expect(entry.storedAt).toBe(clock.now());
    expect((await e.client.videos.retrieve(id)).expires_at).toBe(entry.expiresAt);
    expect(entry.expiresAt).toBe(Math.floor(entry.storedAt / 1000) + 30 * 86_400);

    clock.set(entry.expiresAt * 1000 - 1);
    expect((await download(e, id)).equals(await e.providerBytes(id))).toBe(true);
    const providerGets = e.cdn.gets();

    clock.set(entry.expiresAt * 1000);
    // The provider's link would still work (the CDN never expired it): Reelay's retention is what the client was told.
    expect(expiredCode(await download(e, id).catch((err: unknown) => err))).toBe('video_expired');
    expect(expiredCode(await download(e, id, 'thumbnail').catch((err: unknown) => err))).toBe('video_expired');
    expect(e.cdn.gets()).toBe(providerGets);
    expect((await e.client.videos.retrieve(id)).expires_at).toBe(entry.expiresAt);

    expect(await e.storedNames(id)).toHaveLength(6);
    clock.advance(1000);
    expect(await e.reelay.runtime.custody!.sweep()).toBe(3);
    expect(await e.storedNames(id)).toEqual([]);
    expect(expiredCode(await download(e, id).catch((err: unknown) => err))).toBe('video_expired');
  });
});

describe('retries', () => {
  it('retries a failed provider download with backoff, never failing the video, and keeps what the first attempt stored', async () => {
    const e = await start();
    const { id } = await e.client.videos.create({ prompt: 'retried' });
    // The handler's first download (the video variant) fails upstream; thumbnail and spritesheet do not.
    e.fake.failNext('content', failingContent);
    expect((await e.complete(id)).status).toBe('completed');
    const first = await firstCustodyAttempt(e, id);
    expect(Object.keys(first.custody ?? {}).sort()).toEqual(['spritesheet', 'thumbnail']);
    expect(first.outbox?.pending.custody).toEqual({ attempts: 1, nextAt: clock.now() + 5_000 });
    expect(first.state.status).toBe('completed');

    clock.advance(5_000);
    const kept = await e.untilKept(id);
    expect(kept.outbox?.pending.custody).toBeUndefined();
    // Only the missing file was fetched again.
    expect([e.cdn.gets(await e.cdnPath(id, 'video')), e.cdn.gets(await e.cdnPath(id, 'thumbnail'))]).toEqual([1, 1]);
    await e.expireLinks(id);
    expect((await download(e, id)).equals(await e.providerBytes(id))).toBe(true);
  });
});

describe('stream-through', () => {
  it('stores a whole download on the way, never a range, and the handler then finds the file instead of downloading it', async () => {
    const e = await start();
    const { id } = await e.client.videos.create({ prompt: 'streamed through' });
    e.fake.failNext('content', failingContent, 3);
    await e.complete(id);
    expect((await firstCustodyAttempt(e, id)).custody).toBeUndefined();

    const res = await e.client.videos.downloadContent(id);
    expect(res.headers.get('etag')).toBeNull();
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(await e.providerBytes(id))).toBe(true);
    const kept = await e.untilKept(id, ['video']);
    expect(kept.custody?.video).toMatchObject({ status: 'stored', size: bytes.length, sha256: sha256(bytes) });

    const ranged = await fetch(`${e.reelay.baseURL}/videos/${id}/content?variant=thumbnail`, { headers: { authorization: `Bearer ${TEST_KEY}`, range: 'bytes=0-9' } });
    expect([ranged.status, (await ranged.arrayBuffer()).byteLength]).toEqual([206, 10]);
    expect((await e.record(id))!.custody?.thumbnail).toBeUndefined();

    clock.advance(5_000);
    await e.untilKept(id);
    expect(e.cdn.gets(await e.cdnPath(id, 'video'))).toBe(1);
    await e.expireLinks(id);
    expect((await e.client.videos.downloadContent(id)).headers.get('etag')).toBe(`"${sha256(bytes)}"`);
  });

  it('abandons the copy when the client goes away, storing nothing, and the handler stores the file later', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 7);
    const e = await start({ logLevel: 'debug', content: (job, variant) => (variant === 'video' && job.prompt === 'big' ? big : undefined) });
    const { id } = await e.client.videos.create({ prompt: 'big' });
    e.fake.failNext('content', failingContent, 3);
    await e.complete(id);
    await firstCustodyAttempt(e, id);

    // The first bytes arrive, then the client hangs up (its socket destroyed, as a closed tab or a killed curl does).
    await new Promise<void>((resolve, reject) => {
      const req = get(`${e.reelay.baseURL}/videos/${id}/content`, { headers: { authorization: `Bearer ${TEST_KEY}` } }, (res) =>
        res.once('data', () => {
          req.destroy();
          resolve();
        }),
      );
      req.once('error', reject);
    });
    await eventually(async () => (e.reelay.logs.some((l) => l.includes('stream-through copy not kept') && l.includes(id)) ? true : undefined));
    expect((await e.record(id))!.custody?.video).toBeUndefined();
    expect(await e.storedNames(id)).toEqual([]);

    clock.advance(5_000);
    const kept = await e.untilKept(id);
    expect(kept.custody?.video).toMatchObject({ status: 'stored', size: big.length, sha256: sha256(big) });
  });
});

describe('storage.max_bytes', () => {
  it('never stores a larger file, which still streams from the provider; the smaller variants are stored', async () => {
    const e = await start({ storage: '  max_bytes: 100000\n' });
    const id = await completedVideo(e, 'too large');
    const record = (await e.record(id))!;
    expect(record.custody?.video).toEqual({ status: 'too_large', at: clock.now() });
    expect(record.custody?.thumbnail?.status).toBe('stored');
    expect(record.outbox?.pending.custody).toBeUndefined();
    // Not stored: the provider's expiry stands.
    expect((await e.client.videos.retrieve(id)).expires_at).toBe(record.state.expiresAt);

    const bytes = await download(e, id);
    expect(bytes.equals(await e.providerBytes(id))).toBe(true);
    expect(await e.storedNames(id)).toEqual(['spritesheet', 'spritesheet.json', 'thumbnail', 'thumbnail.json']);

    await e.expireLinks(id);
    expect(expiredCode(await download(e, id).catch((err: unknown) => err))).toBe('content_unavailable');
    expect((await download(e, id, 'thumbnail')).equals(await e.providerBytes(id, 'thumbnail'))).toBe(true);
  });
});

describe('storage.type none', () => {
  let reelay: RunningReelay | undefined;
  afterEach(async () => {
    await reelay?.close();
    reelay = undefined;
  });

  it('runs no custody at all: no handler, no custody field, no validators, content straight from the provider', async () => {
    reelay = await startReelay({ yaml: sandboxYaml({ generationSeconds: 0.05 }) });
    expect(reelay.runtime.custody).toBeUndefined();
    const client = reelay.client();
    const { id } = await client.videos.create({ prompt: 'no custody' });
    await eventually(async () => ((await client.videos.retrieve(id)).status === 'completed' ? true : undefined));
    const record = (await reelay.runtime.store.get(id))!;
    expect(record.outbox?.event.type).toBe('video.completed');
    // The terminal write lists every handler that wants the event: custody is not one of them.
    expect(Object.keys(record.outbox!.pending)).not.toContain('custody');
    const res = await client.videos.downloadContent(id);
    expect([res.status, res.headers.get('etag'), res.headers.get('last-modified')]).toEqual([200, null, null]);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect(record.custody).toBeUndefined();
    expect((await client.videos.retrieve(id)).expires_at).toBe(record.state.expiresAt);
  });
});

