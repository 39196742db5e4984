import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type APIError } from 'openai/error';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { OTHER_KEY, sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

const MEDIA = new URL('../../src/providers/sandbox/media/', import.meta.url);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const clock = manualClock();
let reelay: RunningReelay;
let alice: OpenAI;
let bob: OpenAI;

beforeAll(async () => {
  reelay = await startReelay({ yaml: sandboxYaml({ generationSeconds: 10 }), clock });
  alice = reelay.client();
  bob = reelay.client(OTHER_KEY);
});
afterAll(() => reelay.close());

async function completedVideo(size: '720x1280' | '1280x720' = '720x1280') {
  const video = await alice.videos.create({ prompt: 'a lighthouse', size });
  clock.advance(10_000);
  const done = await alice.videos.retrieve(video.id);
  expect(done.status).toBe('completed');
  return done;
}

describe('retrieve', () => {
  it('walks queued → in_progress (rising progress) → completed, with openai-poll-after-ms while running', async () => {
    const video = await alice.videos.create({ prompt: 'a lighthouse' });
    const first = await alice.videos.retrieve(video.id).withResponse();
    expect(first.data).toMatchObject({ id: video.id, status: 'queued', progress: 0 });
    expect(first.response.headers.get('x-request-id')).toBe(first.request_id);

    clock.advance(3_000);
    const running = await alice.videos.retrieve(video.id);
    expect(running.status).toBe('in_progress');
    expect(running.progress).toBe(30);
    clock.advance(3_000);
    expect((await alice.videos.retrieve(video.id)).progress).toBe(60);

    clock.advance(4_000);
    const done = await alice.videos.retrieve(video.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(Number.isInteger(done.completed_at)).toBe(true);
    expect(Number.isInteger(done.expires_at)).toBe(true);
    expect(done.expires_at!).toBeGreaterThan(done.completed_at!);
  });

  it('ends a [fail] prompt failed with an error object', async () => {
    const video = await alice.videos.create({ prompt: 'please [fail] now' });
    clock.advance(10_000);
    const failed = await alice.videos.retrieve(video.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: expect.any(String), message: expect.stringContaining('[fail]') });
  });

  it('answers NotFoundError for an unknown id, with requestID equal to x-request-id', async () => {
    const err = (await alice.videos.retrieve('video_does_not_exist').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.NotFoundError>;
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.message.length).toBeGreaterThan(4);
    expect(err.requestID).toMatch(/^req_/);
    expect(err.headers.get('x-request-id')).toBe(err.requestID);
  });
});

describe('content', () => {
  it('answers 404 video_not_ready before completion', async () => {
    const video = await alice.videos.create({ prompt: 'not yet' });
    const err = (await alice.videos.downloadContent(video.id).catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('video_not_ready');
  });

  it('streams the MP4 with its type and length, bytes identical to the sandbox media of the requested length', async () => {
    const video = await completedVideo('1280x720');
    const res = await alice.videos.downloadContent(video.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(sha(bytes)).toBe(sha(await readFile(new URL('1280x720-4s.mp4', MEDIA))));
  });

  it('serves the thumbnail as WebP and the spritesheet as JPEG', async () => {
    const video = await completedVideo();
    const thumb = await alice.videos.downloadContent(video.id, { variant: 'thumbnail' });
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(Buffer.from(await thumb.arrayBuffer()).toString('latin1', 8, 12)).toBe('WEBP');
    const sprite = await alice.videos.downloadContent(video.id, { variant: 'spritesheet' });
    expect(sprite.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await sprite.arrayBuffer()).subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });

  it('rejects an unknown variant with BadRequestError', async () => {
    const video = await completedVideo();
    const err = await alice.videos.downloadContent(video.id, { variant: 'bogus' as 'video' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).param).toBe('variant');
  });

  it('answers a single Range request with 206 and the exact slice', async () => {
    const video = await completedVideo();
    const whole = await readFile(new URL('720x1280-4s.mp4', MEDIA));
    const res = await fetch(`${reelay.baseURL}/videos/${video.id}/content`, {
      headers: { authorization: `Bearer ${TEST_KEY}`, range: 'bytes=100-199' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${whole.length}`);
    expect(res.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(100, 200))).toBe(true);

    const suffix = await fetch(`${reelay.baseURL}/videos/${video.id}/content`, {
      headers: { authorization: `Bearer ${TEST_KEY}`, range: 'bytes=-10' },
    });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(whole.subarray(whole.length - 10))).toBe(true);

    const beyond = await fetch(`${reelay.baseURL}/videos/${video.id}/content`, {
      headers: { authorization: `Bearer ${TEST_KEY}`, range: `bytes=${whole.length + 5}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    expect(beyond.headers.get('content-type')).toContain('application/json');
    expect(((await beyond.json()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');
  });
});

describe('delete and remix', () => {
  it('deletes: exact response, then 404 and gone from list', async () => {
    const video = await completedVideo();
    expect(await alice.videos.delete(video.id)).toEqual({ id: video.id, object: 'video.deleted', deleted: true });
    await expect(alice.videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const ids: string[] = [];
    for await (const v of alice.videos.list({ limit: 100 })) ids.push(v.id);
    expect(ids).not.toContain(video.id);
  });

  it('remixes a completed video (JSON body) into a new one pointing back at it', async () => {
    const source = await completedVideo('1280x720');
    const remix = await alice.videos.remix(source.id, { prompt: 'same, at night' });
    expect(remix.id).not.toBe(source.id);
    expect(remix).toMatchObject({ remixed_from_video_id: source.id, status: 'queued', size: '1280x720', prompt: 'same, at night' });
  });

  it('refuses to remix a video that is not completed', async () => {
    const source = await alice.videos.create({ prompt: 'still going' });
    const err = await alice.videos.remix(source.id, { prompt: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).code).toBe('video_not_ready');
  });
});

describe('ownership', () => {
  it("hides one key's videos from another: 404 on every verb, absent from list", async () => {
    const video = await completedVideo();
    await expect(bob.videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(bob.videos.downloadContent(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(bob.videos.remix(video.id, { prompt: 'mine now' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(bob.videos.delete(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const page = await bob.videos.list({ limit: 100 });
    expect(page.data.map((v) => v.id)).not.toContain(video.id);
    expect((await alice.videos.retrieve(video.id)).id).toBe(video.id);
  });
});
