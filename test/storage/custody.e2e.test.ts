import { NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEY } from '../helpers/reelay.js';
import { sha256 } from './content-storage.contract.js';
import { startCustodyEnv, VARIANTS, type CustodyEnv, type Driver } from './support/custody-env.js';
import { startS3Server, type S3TestServer } from './support/s3-server.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

/**
 * Content custody end to end, on each driver: the official SDK → Reelay → the
 * fake OpenAI upstream, whose content redirects to a CDN that expires its
 * links. The background poller completes each video on its own; nothing here
 * downloads before custody has stored the files.
 */

const DAY_S = 86_400;

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.close());

describe.each<Driver>(['fs', 's3'])('custody on %s', (driver) => {
  let env: CustodyEnv;
  beforeAll(async () => {
    env = await startCustodyEnv({ driver, s3 });
  });
  afterAll(() => env.close());

  /** A video the background poller completed and custody stored, without any download. */
  const storedVideo = async (prompt: string) => {
    const { id } = await env.client.videos.create({ prompt });
    return { id, record: await env.untilKept(id) };
  };

  const get = (id: string, headers: Record<string, string> = {}, variant = 'video') =>
    fetch(`${env.reelay.baseURL}/videos/${id}/content?variant=${variant}`, { headers: { authorization: `Bearer ${TEST_KEY}`, ...headers } });

  it('stores every variant right after completion, before any download, and serves them byte-identical once the provider link has expired', async () => {
    const { id, record } = await storedVideo('a lighthouse at dawn');
    // The handler's own downloads, one per variant, and no other: no client asked for content.
    for (const variant of VARIANTS) expect(env.cdn.gets(await env.cdnPath(id, variant))).toBe(1);
    expect(env.fake.requestsFor(record.upstreamId).filter((r) => r.verb === 'content')).toHaveLength(3);

    await env.expireLinks(id);
    expect((await fetch(`${env.cdn.origin}${await env.cdnPath(id)}`)).status).toBe(403);

    for (const variant of VARIANTS) {
      const res = await env.client.videos.downloadContent(id, { variant });
      const bytes = Buffer.from(await res.arrayBuffer());
      const expected = await env.providerBytes(id, variant);
      expect(bytes.equals(expected)).toBe(true);
      const entry = record.custody![variant]!;
      expect(entry).toMatchObject({ status: 'stored', size: expected.length, sha256: sha256(expected) });
      expect(Object.fromEntries(['content-type', 'content-length', 'etag', 'accept-ranges'].map((h) => [h, res.headers.get(h)]))).toEqual({
        'content-type': { video: 'video/mp4', thumbnail: 'image/webp', spritesheet: 'image/jpeg' }[variant],
        'content-length': String(expected.length),
        etag: `"${sha256(expected)}"`,
        'accept-ranges': 'bytes',
      });
      expect(res.headers.get('last-modified')).toBe(new Date(entry.status === 'stored' ? entry.storedAt : 0).toUTCString());
    }
    expect(await env.storedNames(id)).toEqual(['spritesheet', 'spritesheet.json', 'thumbnail', 'thumbnail.json', 'video', 'video.json']);
  });

  it("reports Reelay's retention as expires_at once the video is stored, in retrieve and list", async () => {
    const { id, record } = await storedVideo('a red fox in snow');
    const entry = record.custody!.video!;
    const storedAt = entry.status === 'stored' ? entry.storedAt : 0;
    const video = await env.client.videos.retrieve(id);
    expect(video.expires_at).toBe(Math.floor(storedAt / 1000) + 30 * DAY_S);
    // The provider's own link lasted an hour past completion.
    expect(video.expires_at).not.toBe(record.state.expiresAt);
    const listed = (await env.client.videos.list({ limit: 100 })).data.find((v) => v.id === id);
    expect(listed?.expires_at).toBe(video.expires_at);
  });

  it('answers single ranges, 416 past the end and If-None-Match 304 from the stored file', async () => {
    const { id } = await storedVideo('waves crash on rocks');
    await env.expireLinks(id);
    const bytes = await env.providerBytes(id);
    const etag = `"${sha256(bytes)}"`;
    const n = bytes.length;

    const partial = await get(id, { range: 'bytes=10-99' });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 10-99/${n}`);
    expect(partial.headers.get('content-length')).toBe('90');
    expect(partial.headers.get('etag')).toBe(etag);
    expect(Buffer.from(await partial.arrayBuffer()).equals(bytes.subarray(10, 100))).toBe(true);

    const suffix = await get(id, { range: 'bytes=-100' });
    expect([suffix.status, suffix.headers.get('content-range')]).toEqual([206, `bytes ${n - 100}-${n - 1}/${n}`]);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(n - 100))).toBe(true);

    const beyond = await get(id, { range: `bytes=${n}-` });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${n}`]);
    expect(((await beyond.json()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');

    // Several ranges are not honoured: the whole file, as RFC 9110 allows.
    const multi = await get(id, { range: 'bytes=0-1,5-6' });
    expect([multi.status, (await multi.arrayBuffer()).byteLength]).toEqual([200, n]);

    for (const ifNoneMatch of [etag, `W/${etag}`, '*', `"other", W/${etag}`]) {
      const res = await get(id, { 'if-none-match': ifNoneMatch, range: 'bytes=0-9' });
      expect([ifNoneMatch, res.status, res.headers.get('etag'), (await res.arrayBuffer()).byteLength]).toEqual([ifNoneMatch, 304, etag, 0]);
    }
    const stale = await get(id, { 'if-none-match': '"0000", W/"1111"' });
    expect([stale.status, (await stale.arrayBuffer()).byteLength]).toEqual([200, n]);
  });

  it('deletes the stored files with the video', async () => {
    const { id } = await storedVideo('a kite over a beach');
    expect(await env.storedNames(id)).toHaveLength(6);
    await env.client.videos.delete(id);
    expect(await env.storedNames(id)).toEqual([]);
    const err = await env.client.videos.downloadContent(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe('video_not_found');
  });
});

describe('custody with the Redis store', () => {
  let redis: RedisServer;
  let env: CustodyEnv;
  beforeAll(async () => {
    redis = await startRedisServer();
    env = await startCustodyEnv({ driver: 'fs', redisUrl: redis.url });
  });
  afterAll(async () => {
    await env?.close();
    await redis?.stop();
  });

  it('records custody in the Redis record and serves from it once the provider link has expired', async () => {
    const { id } = await env.client.videos.create({ prompt: 'a tram in the rain' });
    const record = await env.untilKept(id);
    await env.expireLinks(id);
    const res = await env.client.videos.downloadContent(id);
    expect(Buffer.from(await res.arrayBuffer()).equals(await env.providerBytes(id))).toBe(true);
    expect(res.headers.get('etag')).toBe(`"${(record.custody!.video as { sha256: string }).sha256}"`);
  });
});
