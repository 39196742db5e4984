import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReelay } from '../helpers/reelay.js';
import { assertOk, assertStillServing, rawHttp, rawReply, snapshotPrototypes, startHostile, TEST_KEY, waitCompleted } from './support.js';

/**
 * Spec J: verbs without a body must not trip over a Content-Type they do not
 * need (the Python SDK sends `Content-Type: application/json` on every call).
 * Written on raw sockets so exactly these headers, and no body, go out.
 */

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;
let client: OpenAI;
let completedId: string;

beforeAll(async () => {
  reelay = await startHostile();
  client = reelay.client();
  completedId = (await waitCompleted(client, (await client.videos.create({ prompt: 'bodiless source' })).id)).id;
});
afterAll(() => reelay?.close());

const auth = { Authorization: `Bearer ${TEST_KEY}` };

describe('J1 DELETE without a body is 200 deleted whatever Content-Type it carries', () => {
  it.each<[string, Record<string, string>]>([
    ['Content-Type: application/json, no Content-Length (the Python SDK)', { 'Content-Type': 'application/json' }],
    ['Content-Type: application/json, Content-Length: 0', { 'Content-Type': 'application/json', 'Content-Length': '0' }],
    ['Content-Type: text/plain, no body', { 'Content-Type': 'text/plain' }],
    ['Content-Type: application/json, an empty chunked body', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }],
  ])('%s', async (label, headers) => {
    const video = await client.videos.create({ prompt: `to be deleted: ${label}` });
    const chunked = headers['Transfer-Encoding'] !== undefined;
    const res = await rawReply(reelay.origin, rawHttp('DELETE', `/v1/videos/${video.id}`, { ...auth, ...headers }, chunked ? '0\r\n\r\n' : undefined));
    expect(assertOk(res)).toEqual({ id: video.id, object: 'video.deleted', deleted: true });
    await expect(client.videos.retrieve(video.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe('J2 GET with a Content-Type and no body is answered normally', () => {
  it('GET /v1/videos with Content-Type: application/json', async () => {
    const res = await rawReply(reelay.origin, rawHttp('GET', '/v1/videos', { ...auth, 'Content-Type': 'application/json' }));
    expect(assertOk(res).object).toBe('list');
  });

  it('GET /v1/videos/{id} with Content-Type: application/json and Content-Length: 0', async () => {
    const res = await rawReply(reelay.origin, rawHttp('GET', `/v1/videos/${completedId}`, { ...auth, 'Content-Type': 'application/json', 'Content-Length': '0' }));
    expect(assertOk(res)).toMatchObject({ id: completedId, status: 'completed' });
  });

  it('GET /v1/videos/{id}/content with Content-Type: application/json', async () => {
    const res = await rawReply(reelay.origin, rawHttp('GET', `/v1/videos/${completedId}/content`, { ...auth, 'Content-Type': 'application/json' }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.body.length).toBe(Number(res.headers['content-length']));
    expect(res.body.length).toBeGreaterThan(0);
  });
});

describe('after the bodiless corpus', () => {
  it('is still alive and answering, prototypes untouched', async () => {
    await assertStillServing(reelay, prototypes);
  });
});
