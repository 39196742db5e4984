import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReelay } from '../helpers/reelay.js';
import {
  assertEnvelope,
  assertOk,
  assertStillServing,
  call,
  OTHER_KEY,
  postJson,
  rawHttp,
  rawReply,
  type Reply,
  snapshotPrototypes,
  startHostile,
  TEST_KEY,
  waitCompleted,
} from './support.js';

/** Spec D (paths, ids, methods, queries) and E (Authorization tricks). */

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;
/** alice's completed video. */
let mine: string;
/** bob's completed video (bob may only use sandbox-video). */
let bobs: string;

beforeAll(async () => {
  reelay = await startHostile();
  const alice = reelay.client();
  const bob = reelay.client(OTHER_KEY);
  const [a, b] = await Promise.all([alice.videos.create({ prompt: 'alice owns this' }), bob.videos.create({ prompt: 'bob owns this', model: 'sandbox-video' })]);
  [mine, bobs] = await Promise.all([waitCompleted(alice, a.id).then((v) => v.id), waitCompleted(bob, b.id).then((v) => v.id)]);
});
afterAll(() => reelay?.close());

const raw = (method: string, target: string, headers: Record<string, string> | [string, string][] = { Authorization: `Bearer ${TEST_KEY}` }) =>
  rawReply(reelay.origin, rawHttp(method, target, headers));

describe('D1 ids and URLs', () => {
  const longId = `video_${'a'.repeat(120)}`;
  it.each([['GET', `/v1/videos/${longId}`], ['GET', `/v1/videos/${longId}/content`], ['DELETE', `/v1/videos/${longId}`]])(
    'an id over 100 characters is 414 uri_too_long and not echoed (%s %s)',
    async (method, path) => {
      const res = await call(reelay, method, path);
      assertEnvelope(res, { status: 414, code: 'uri_too_long' });
      expect(res.text).not.toContain('a'.repeat(20));
    },
  );

  it.each([['/v1/videos/%E0%A4%A'], ['/v1/videos/%zz'], ['/v1/videos/%zz/content']])('bad percent-encoding %s is 400 invalid_url', async (target) => {
    assertEnvelope(await raw('GET', target), { status: 400, code: 'invalid_url' });
  });

  it.each([
    ['video_123'],
    ['..%2F..%2Fetc%2Fpasswd'],
    ['video_%00'],
    ['vid%C3%A9o_%E2%9C%93_%F0%9F%8E%AC'],
    ['%7Btag%7D'],
    ['*'],
  ])('an id that is not Reelay’s format (%s) is 404 video_not_found', async (id) => {
    assertEnvelope(await raw('GET', `/v1/videos/${id}`), { status: 404, code: 'video_not_found', param: 'video_id' });
  });

  it.each<[string, (id: string) => Promise<Reply>]>([
    ['GET', (id) => call(reelay, 'GET', `/v1/videos/${id}`)],
    ['GET content', (id) => call(reelay, 'GET', `/v1/videos/${id}/content`)],
    ['POST remix', (id) => postJson(reelay, `/v1/videos/${id}/remix`, { prompt: 'steal it' })],
    ['DELETE', (id) => call(reelay, 'DELETE', `/v1/videos/${id}`)],
  ])('another key’s real id is 404 video_not_found (%s)', async (_label, send) => {
    assertEnvelope(await send(bobs), { status: 404, code: 'video_not_found', param: 'video_id' });
    // ... and still there for its owner.
    expect((await reelay.client(OTHER_KEY).videos.retrieve(bobs)).status).toBe('completed');
  });

  it('an unknown URL is 404 unknown_url', async () => {
    assertEnvelope(await call(reelay, 'GET', '/v1/nope'), { status: 404, code: 'unknown_url' });
  });

  it.each<[string, (id: string) => string, string[]]>([
    ['PUT', () => '/v1/videos', ['GET', 'POST']],
    ['DELETE', () => '/v1/videos', ['GET', 'POST']],
    ['PATCH', (id) => `/v1/videos/${id}`, ['GET', 'DELETE']],
    ['POST', (id) => `/v1/videos/${id}`, ['GET', 'DELETE']],
  ])('%s on a known path is 405 method_not_allowed with Allow', async (method, path, allowed) => {
    const res = await call(reelay, method, path(mine));
    assertEnvelope(res, { status: 405, code: 'method_not_allowed' });
    const allow = (res.headers.allow ?? '').split(',').map((m) => m.trim().toUpperCase());
    for (const m of allowed) expect(allow, `Allow: ${res.headers.allow}`).toContain(m);
    expect(allow).not.toContain(method);
  });

  it.each([['//v1/videos'], ['/v1/videos/'], ['/v1//videos']])('%s is a 404 envelope or the normal list, never 500', async (target) => {
    const res = await raw('GET', target);
    if (res.status === 200) expect(assertOk(res).object).toBe('list');
    else assertEnvelope(res, { status: 404 });
  });
});

describe('D2 hostile list queries are 400 naming limit', () => {
  it.each([
    ['limit=0x10'],
    ['limit=1e1'],
    ['limit=+5'],
    ['limit=5.0'],
    ['limit='],
    ['limit=-1'],
    ['limit=0'],
    ['limit=101'],
    ['limit=99999999999999999999'],
    ['limit=1&limit=2'],
  ])('?%s', async (query) => {
    assertEnvelope(await raw('GET', `/v1/videos?${query}`), { status: 400, param: 'limit' });
  });

  it('10k repeated limit parameters: 400 naming limit (or 414/431 for the URL size), never 500 or a reset', async () => {
    const res = await raw('GET', `/v1/videos?${Array.from({ length: 10_000 }, () => 'limit=1').join('&')}`);
    const error = assertEnvelope(res, { status: [400, 414, 431] });
    if (res.status === 400) expect(error.param).toBe('limit');
  });
});

describe('E1 Authorization tricks on GET /v1/videos are 401', () => {
  const unauthorized = { status: 401, code: ['invalid_api_key', 'missing_api_key'], type: 'authentication_error' } as const;
  it('no header is 401 missing_api_key', async () => {
    assertEnvelope(await call(reelay, 'GET', '/v1/videos', { key: null }), { status: 401, code: 'missing_api_key', type: 'authentication_error' });
  });

  it.each<[string, Record<string, string>]>([
    ['Bearer alone', { authorization: 'Bearer' }],
    ['Bearer and spaces', { authorization: 'Bearer      ' }],
    ['Basic credentials', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['Token <valid key>', { authorization: `Token ${TEST_KEY}` }],
    ['the valid key without Bearer', { authorization: TEST_KEY }],
    ['a 12 KB bearer token', { authorization: `Bearer sk-${'k'.repeat(12 * 1024)}` }],
    ['Bearer <valid>x', { authorization: `Bearer ${TEST_KEY}x` }],
    ['Bearer <valid> <valid>', { authorization: `Bearer ${TEST_KEY} ${TEST_KEY}` }],
    ['a prefix of the valid key', { authorization: `Bearer ${TEST_KEY.slice(0, -1)}` }],
    ['the valid key in x-api-key only', { 'x-api-key': TEST_KEY }],
    ['the valid key in Proxy-Authorization only', { 'proxy-authorization': `Bearer ${TEST_KEY}` }],
    ['the valid key in a cookie only', { cookie: `authorization=Bearer ${TEST_KEY}; api_key=${TEST_KEY}` }],
    ['admin-looking headers', { 'x-admin': 'true', 'x-reelay-admin': '1', 'x-forwarded-user': 'alice', 'x-remote-user': 'alice', 'x-authenticated-user': 'alice' }],
    ['loopback-looking headers', { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1', 'x-forwarded-host': 'localhost' }],
    ['URL-override headers', { 'x-original-url': '/healthz', 'x-rewrite-url': '/healthz', 'x-http-method-override': 'GET' }],
  ])('%s', async (_label, headers) => {
    assertEnvelope(await call(reelay, 'GET', '/v1/videos', { key: null, headers }), unauthorized);
  });

  it('the valid key in the query string only', async () => {
    assertEnvelope(await call(reelay, 'GET', `/v1/videos?api_key=${TEST_KEY}&key=${TEST_KEY}`, { key: null }), unauthorized);
  });

  it('a junk Authorization followed by a valid one', async () => {
    assertEnvelope(await raw('GET', '/v1/videos', [['Authorization', 'Bearer junk-key-0000'], ['Authorization', `Bearer ${TEST_KEY}`]]), unauthorized);
  });

  it.each([
    ['0xA0 (NBSP, which JS \\s matches)', '\u00a0'],
    ['0xFF', '\u00ff'],
    ['0x85 (NEL)', '\u0085'],
    ['0xE9', '\u00e9'],
  ])('the valid key plus a trailing non-ASCII byte %s (latin1, raw socket)', async (_label, suffix) => {
    assertEnvelope(await raw('GET', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}${suffix}` }), unauthorized);
  });

  it.each([['\u0000'], ['\u0001']])('the valid key plus a trailing control byte %j is refused with an envelope (401, or 400 from the parser), never 200', async (suffix) => {
    const res = await raw('GET', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}${suffix}` });
    assertEnvelope(res, { status: [400, 401], type: res.status === 400 ? 'invalid_request_error' : 'authentication_error' });
  });
});

describe('E2 tolerated spellings of a valid key are 200', () => {
  it.each([
    ['lowercase bearer', `bearer ${TEST_KEY}`],
    ['extra spaces around the key', `Bearer    ${TEST_KEY}   `],
  ])('%s', async (_label, authorization) => {
    expect(assertOk(await call(reelay, 'GET', '/v1/videos', { key: null, headers: { authorization } })).object).toBe('list');
  });
});

describe('after the paths and auth corpus', () => {
  it('is still alive and answering, prototypes untouched, and the videos survived', async () => {
    await assertStillServing(reelay, prototypes);
    expect((await reelay.client().videos.retrieve(mine)).status).toBe('completed');
    expect((await reelay.client(OTHER_KEY).videos.retrieve(bobs)).status).toBe('completed');
  });
});
