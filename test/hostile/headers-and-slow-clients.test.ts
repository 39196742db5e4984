import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReelay } from '../helpers/reelay.js';
import {
  assertEnvelope,
  assertOk,
  assertStillServing,
  call,
  multipart,
  PNG_16,
  rawHttp,
  RawConnection,
  rawReply,
  snapshotPrototypes,
  startHostile,
  TEST_KEY,
} from './support.js';

/**
 * Spec G (huge headers) and H (slow and stalled clients), with
 * headers_timeout_s 1, request_timeout_s 2, keep_alive_timeout_s 1.
 * Every socket test is bounded by its own timeout.
 */

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;

beforeAll(async () => {
  reelay = await startHostile();
});
afterAll(() => reelay?.close());

const healthy = async () => expect((await call(reelay, 'GET', '/healthz', { key: null, timeoutMs: 2000 })).status).toBe(200);

/** What a server may write to a connection it gives up on: nothing, or a 408 envelope. */
async function assertNothingOr408(conn: RawConnection): Promise<void> {
  if (conn.received.length === 0) return;
  const reply = await conn.response(100);
  expect(reply, `unparseable bytes: ${JSON.stringify(conn.received.toString('latin1').slice(0, 200))}`).toBeDefined();
  assertEnvelope(reply!, { status: 408, code: 'request_timeout' });
}

describe('G huge request heads are 431 envelopes and the server keeps serving', () => {
  const headers = { Authorization: `Bearer ${TEST_KEY}` };
  it.each<[string, () => Buffer, number[], string[]]>([
    ['a single 20 KB header', () => rawHttp('GET', '/v1/videos', { ...headers, 'X-Big': 'b'.repeat(20 * 1024) }), [431], ['request_header_fields_too_large']],
    [
      '200 headers of 200 bytes',
      () => rawHttp('GET', '/v1/videos', [['Authorization', `Bearer ${TEST_KEY}`], ...Array.from({ length: 200 }, (_, i): [string, string] => [`X-H${i}`, 'h'.repeat(200)])]),
      [431],
      ['request_header_fields_too_large'],
    ],
    ['a 20 KB request target', () => rawHttp('GET', `/v1/videos?after=${'v'.repeat(20 * 1024)}`, headers), [414, 431], ['uri_too_long', 'request_header_fields_too_large']],
  ])('%s', async (_label, request, status, code) => {
    const bystander = await RawConnection.open(reelay.origin);
    try {
      assertEnvelope(await rawReply(reelay.origin, request(), 3000), { status, code });
      await healthy();
      // A connection opened before the abuse is served too.
      await bystander.write(rawHttp('GET', '/healthz'));
      expect((await bystander.response(2000))?.status).toBe(200);
    } finally {
      bystander.destroy();
    }
  });
});

describe('H slow and stalled clients are bounded by the server timeouts', () => {
  it('a socket that sends nothing is closed after about headers_timeout (≤ 3 s)', async () => {
    const conn = await RawConnection.open(reelay.origin);
    try {
      const ms = await conn.waitClosed(3500);
      expect(ms).toBeLessThanOrEqual(3000);
      await assertNothingOr408(conn);
    } finally {
      conn.destroy();
    }
  }, 8000);

  it('a client that stalls halfway through its headers is closed after about headers_timeout (≤ 3 s)', async () => {
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(`GET /v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_KEY}\r\nX-Slow: `);
      const ms = await conn.waitClosed(3500);
      expect(ms).toBeLessThanOrEqual(3000);
      await assertNothingOr408(conn);
    } finally {
      conn.destroy();
    }
  }, 8000);

  it('a client that stalls mid-body gets a 408 envelope or a close within request_timeout + 1 s, and others are served meanwhile', async () => {
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(rawHttp('POST', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}`, 'Content-Type': 'application/json', 'Content-Length': '1000' }));
      await conn.write('{"prompt":');
      await healthy();
      const ms = await conn.waitClosed(4000);
      expect(ms).toBeLessThanOrEqual(3500);
      await assertNothingOr408(conn);
    } finally {
      conn.destroy();
    }
  }, 8000);

  it('an idle keep-alive connection is closed after about keep_alive_timeout once its request is answered', async () => {
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(rawHttp('GET', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}`, Connection: 'keep-alive' }));
      const reply = await conn.response(2000);
      expect(reply?.status).toBe(200);
      expect(reply?.headers.connection ?? '').not.toMatch(/close/i);
      const answeredAt = Date.now();
      await conn.waitClosed(4000);
      const idle = conn.closedAt! - answeredAt;
      expect(idle).toBeGreaterThanOrEqual(500);
      expect(idle).toBeLessThanOrEqual(3000);
      expect(conn.received.length).toBe(conn.received.indexOf(Buffer.from(reply!.body)) + reply!.body.length);
    } finally {
      conn.destroy();
    }
  }, 8000);

  it('a slow but steady JSON upload that finishes within request_timeout succeeds', async () => {
    const body = Buffer.from(JSON.stringify({ prompt: `slow and steady ${'.'.repeat(3000)}` }));
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(rawHttp('POST', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length) }));
      const pieces = 6;
      for (let i = 0; i < pieces; i++) {
        await conn.write(body.subarray(Math.floor((i * body.length) / pieces), Math.floor(((i + 1) * body.length) / pieces)));
        if (i < pieces - 1) await new Promise((r) => setTimeout(r, 150)); // the client's own pace, ~0.75 s in all
      }
      const reply = await conn.response(3000);
      expect(reply, `no reply; socket ${conn.error ?? (conn.closed ? 'closed' : 'open')}`).toBeDefined();
      expect(assertOk(reply!).status).toBe('queued');
    } finally {
      conn.destroy();
    }
  }, 8000);

  it('a slow but steady multipart upload with a file that finishes within request_timeout succeeds', async () => {
    const form = multipart([
      { name: 'prompt', value: 'slow multipart' },
      { name: 'input_reference', filename: 'ref.png', type: 'image/png', value: PNG_16 },
    ]);
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(rawHttp('POST', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}`, 'Content-Type': form.contentType, 'Content-Length': String(form.body.length) }));
      for (let at = 0; at < form.body.length; at += 64) {
        await conn.write(form.body.subarray(at, at + 64));
        await new Promise((r) => setTimeout(r, 100)); // the client's own pace
      }
      const reply = await conn.response(3000);
      expect(reply, `no reply; socket ${conn.error ?? (conn.closed ? 'closed' : 'open')}`).toBeDefined();
      expect(assertOk(reply!).status).toBe('queued');
    } finally {
      conn.destroy();
    }
  }, 8000);
});

describe('after the header and slow-client corpus', () => {
  it('is still alive and answering, prototypes untouched', async () => {
    await assertStillServing(reelay, prototypes);
  });
});
