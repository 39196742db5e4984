import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { fetchContent, type FetchContentOptions } from '../../../src/providers/http/content-fetch.js';
import { CredentialPool, credentialFingerprint } from '../../../src/providers/http/credential-pool.js';
import { captureLogger, manualClock } from './log-capture.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface Seen {
  method: string;
  url: string;
  authorization?: string;
  range?: string;
}

/** A real HTTP server on 127.0.0.1 whose handler each test sets, recording every request. */
async function startServer() {
  const seen: Seen[] = [];
  let handler: Handler = (_req, res) => res.writeHead(500).end();
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, range: req.headers.range });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    handle(h: Handler) {
      handler = h;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const KEY = 'upstream-secret-key-1';
/** A provider id no message could contain by chance ("up" is in "upstream"). */
const PROVIDER = 'vendor-q7';
const VIDEO = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let base: Awaited<ReturnType<typeof startServer>>;
let cdn: Awaited<ReturnType<typeof startServer>>;
const agent = new Agent({ headersTimeout: 2000, bodyTimeout: 2000 });

beforeAll(async () => {
  base = await startServer();
  cdn = await startServer();
});
afterEach(() => {
  base.seen.length = 0;
  cdn.seen.length = 0;
});
afterAll(async () => {
  await agent.close();
  await base.close();
  await cdn.close();
});

function setup(overrides: Partial<FetchContentOptions> = {}) {
  const log = captureLogger();
  const pool = new CredentialPool(PROVIDER, [KEY, 'upstream-secret-key-2'], { clock: manualClock(), logger: log.logger });
  const credential = pool.byFingerprint(credentialFingerprint(PROVIDER, KEY));
  const opts = (url: string, more: Partial<FetchContentOptions> = {}): FetchContentOptions => ({
    dispatcher: agent,
    url,
    baseOrigin: base.origin,
    credential,
    errors: { pool, providerId: PROVIDER, log: log.logger },
    ...overrides,
    ...more,
  });
  return { log, pool, credential, opts };
}

const serveVideo: Handler = (req, res) => {
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  if (m) {
    const [start, end] = [Number(m[1]), Number(m[2])];
    res.writeHead(206, { 'content-type': 'video/mp4', 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${VIDEO.length}` });
    res.end(VIDEO.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': VIDEO.length });
  res.end(VIDEO);
};

/** The GatewayError fetchContent failed with; every one names its provider for the log and never to the client. */
async function caught(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    const err = e as GatewayError;
    expect(err.provider).toBe(PROVIDER);
    expect(err.message).not.toContain(PROVIDER);
    expect(JSON.stringify(err.headers)).not.toContain(PROVIDER);
    return err;
  }
  throw new Error('expected a rejection');
}

/** Answers 416 to any Range (with `bytes *\/N` or without), and the whole video otherwise. */
const rangeRefused =
  (contentRange: boolean): Handler =>
  (req, res) => {
    if (req.headers.range === undefined) return serveVideo(req, res);
    res.writeHead(416, contentRange ? { 'content-range': `bytes */${VIDEO.length}` } : {}).end();
  };

describe('fetchContent', () => {
  it('sends the credential to the provider origin and streams the bytes', async () => {
    const { opts } = setup();
    base.handle(serveVideo);
    const res = await fetchContent(opts(`${base.origin}/v1/videos/video_1/content`));
    expect(res).toMatchObject({ status: 200, contentType: 'video/mp4', contentLength: VIDEO.length });
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(VIDEO));
    expect(base.seen).toEqual([{ method: 'GET', url: '/v1/videos/video_1/content', authorization: `Bearer ${KEY}`, range: undefined }]);
  });

  it('fetches a URL on another host with no credentials', async () => {
    const { opts } = setup();
    cdn.handle(serveVideo);
    const res = await fetchContent(opts(`${cdn.origin}/files/v.mp4`));
    expect(res.status).toBe(200);
    res.body.resume();
    expect(cdn.seen).toHaveLength(1);
    expect(cdn.seen[0]!.authorization).toBeUndefined();
    expect(base.seen).toHaveLength(0);
  });

  it('drops the credential on a cross-origin redirect and never adds it back', async () => {
    const { opts } = setup();
    base.handle((req, res) => {
      if (req.url === '/v1/videos/v/content') res.writeHead(302, { location: `${cdn.origin}/signed/v.mp4?sig=1` }).end();
      else serveVideo(req, res);
    });
    cdn.handle((_req, res) => res.writeHead(307, { location: `${base.origin}/again.mp4` }).end());
    const res = await fetchContent(opts(`${base.origin}/v1/videos/v/content`));
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(VIDEO));
    expect(base.seen.map((s) => [s.url, s.authorization])).toEqual([
      ['/v1/videos/v/content', `Bearer ${KEY}`],
      ['/again.mp4', undefined],
    ]);
    expect(cdn.seen.map((s) => [s.url, s.authorization])).toEqual([['/signed/v.mp4?sig=1', undefined]]);
  });

  it('keeps the credential on a same-origin relative redirect', async () => {
    const { opts } = setup();
    base.handle((req, res) => {
      if (req.url === '/v1/a') res.writeHead(301, { location: '/v1/b' }).end();
      else serveVideo(req, res);
    });
    const res = await fetchContent(opts(`${base.origin}/v1/a`));
    res.body.resume();
    expect(base.seen.map((s) => [s.url, s.authorization])).toEqual([
      ['/v1/a', `Bearer ${KEY}`],
      ['/v1/b', `Bearer ${KEY}`],
    ]);
  });

  it('gives up after 5 redirects', async () => {
    const { opts } = setup();
    let n = 0;
    base.handle((_req, res) => res.writeHead(302, { location: `/hop/${++n}` }).end());
    const err = await caught(fetchContent(opts(`${base.origin}/start`)));
    expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(base.seen).toHaveLength(6);
  });

  it('answers an unparsable Location with a 502, not a raw TypeError', async () => {
    const { opts } = setup();
    base.handle((_req, res) => res.writeHead(302, { location: 'http://[not-a-host/v.mp4' }).end());
    const err = await caught(fetchContent(opts(`${base.origin}/start`)));
    expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(base.seen).toHaveLength(1);
  });

  it('passes Range through and maps 206 with Content-Range', async () => {
    const { opts } = setup();
    cdn.handle(serveVideo);
    const res = await fetchContent(opts(`${cdn.origin}/v.mp4`, { range: 'bytes=100-199' }));
    expect(res).toMatchObject({ status: 206, contentLength: 100, contentRange: `bytes 100-199/${VIDEO.length}` });
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(VIDEO.subarray(100, 200))).toBe(true);
    expect(cdn.seen[0]!.range).toBe('bytes=100-199');
  });

  it.each([
    ['video', undefined, 'video/mp4'],
    ['thumbnail', 'application/octet-stream', 'image/webp'],
    ['spritesheet', undefined, 'image/jpeg'],
    ['thumbnail', 'image/png', 'image/png'],
  ] as const)('content type for %s when upstream sends %s → %s', async (variant, sent, want) => {
    const { opts } = setup();
    base.handle((_req, res) => {
      res.writeHead(200, sent ? { 'content-type': sent } : {});
      res.end('x');
    });
    const res = await fetchContent(opts(`${base.origin}/c`, { variant }));
    res.body.resume();
    expect(res.contentType).toBe(want);
  });

  it('returns before the upstream finishes: the body is streamed, not buffered', async () => {
    const { opts } = setup();
    let finish: () => void = () => {};
    base.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write(VIDEO.subarray(0, 1024));
      finish = () => res.end(VIDEO.subarray(1024));
    });
    const res = await fetchContent(opts(`${base.origin}/slow`));
    const it = res.body[Symbol.asyncIterator]();
    const first = (await it.next()).value as Buffer;
    expect(first.equals(VIDEO.subarray(0, 1024))).toBe(true);
    finish();
    const rest: Buffer[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value as Buffer);
    expect(Buffer.concat([first, ...rest]).equals(VIDEO)).toBe(true);
  });

  it('translates a 401 from the provider origin and disables the key', async () => {
    const { opts, pool, credential, log } = setup();
    base.handle((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } })));
    const err = await caught(fetchContent(opts(`${base.origin}/c`)));
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(pool.health().find((h) => h.fingerprint === credential.fingerprint)!.state).toBe('disabled');
    expect(err.message).not.toContain(KEY);
    expect(log.lines.join('\n')).not.toContain(KEY);
  });

  it('maps a foreign host refusing the download to 404 and leaves the key alone', async () => {
    const { opts, pool } = setup();
    cdn.handle((_req, res) => res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'));
    const err = await caught(fetchContent(opts(`${cdn.origin}/expired.mp4?Expires=1`)));
    expect(err).toMatchObject({ status: 404, code: 'content_unavailable' });
    expect(pool.health().every((h) => h.state === 'active')).toBe(true);
  });

  it('does not cool the key down for a foreign 429', async () => {
    const { opts, pool } = setup();
    cdn.handle((_req, res) => res.writeHead(429, { 'retry-after': '5' }).end('slow down'));
    const err = await caught(fetchContent(opts(`${cdn.origin}/v.mp4`)));
    expect(err).toMatchObject({ status: 429 });
    expect(pool.health().every((h) => h.state === 'active')).toBe(true);
  });

  it('maps a 404 from the provider to NotFound with its message', async () => {
    const { opts } = setup();
    base.handle((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Video is not ready yet', type: 'invalid_request_error', param: null, code: null } })));
    const err = await caught(fetchContent(opts(`${base.origin}/c`)));
    expect(err).toMatchObject({ status: 404, message: 'Video is not ready yet' });
  });

  it('follows a JSON answer carrying a URL when asked, without credentials off-origin', async () => {
    const { opts } = setup();
    base.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'v', url: `${cdn.origin}/dl/v.mp4`, status: 'ready' })));
    cdn.handle(serveVideo);
    const res = await fetchContent(
      opts(`${base.origin}/v1/videos/v/content`, { jsonUrl: (b) => (b as { url?: string }).url }),
    );
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(VIDEO));
    expect(base.seen[0]!.authorization).toBe(`Bearer ${KEY}`);
    expect(cdn.seen[0]!.authorization).toBeUndefined();
  });

  it('maps a connection failure to 502', async () => {
    const { opts } = setup();
    const dead = await startServer();
    await dead.close();
    const err = await caught(fetchContent(opts(`${dead.origin}/v.mp4`)));
    expect(err).toMatchObject({ status: 502, code: 'upstream_unreachable' });
  });

  it('refuses a non-HTTP URL', async () => {
    const { opts } = setup();
    const err = await caught(fetchContent(opts('file:///etc/passwd')));
    expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response' });
  });

  it.each([
    ['two ranges', 'bytes=0-0,5-9'],
    ['garbage', 'bytes=abc'],
    ['another unit', 'items=0-5'],
    ['unicode digits', 'bytes=٠-٥'],
    ['a 10 KB value', `bytes=${'0-1,'.repeat(2600)}`],
  ])('sends no Range upstream for %s and serves the whole body with 200', async (_label, range) => {
    const { opts } = setup();
    base.handle(serveVideo);
    const res = await fetchContent(opts(`${base.origin}/c`, { range }));
    res.body.resume();
    expect(res).toMatchObject({ status: 200, contentLength: VIDEO.length });
    expect(base.seen.map((s) => s.range)).toEqual([undefined]);
  });

  it('forwards a well-formed range normalised', async () => {
    const { opts } = setup();
    base.handle(serveVideo);
    const res = await fetchContent(opts(`${base.origin}/c`, { range: ' BYTES=0010-0019 ' }));
    res.body.resume();
    expect(res).toMatchObject({ status: 206, contentRange: `bytes 10-19/${VIDEO.length}` });
    expect(base.seen.map((s) => s.range)).toEqual(['bytes=10-19']);
  });

  it.each([
    ['the provider', () => base],
    ['a foreign host', () => cdn],
  ])("answers a 416 from %s with its own Content-Range: bytes */N, without a second request", async (_label, host) => {
    const { opts } = setup();
    host().handle(rangeRefused(true));
    const err = await caught(fetchContent(opts(`${host().origin}/v.mp4`, { range: 'bytes=9000-' })));
    expect(err).toMatchObject({ status: 416, code: 'range_not_satisfiable', headers: { 'content-range': `bytes */${VIDEO.length}` } });
    expect(host().seen).toHaveLength(1);
  });

  it('learns N from one GET without the Range, with the credential, when the provider sends no Content-Range', async () => {
    const { opts } = setup();
    base.handle(rangeRefused(false));
    const err = await caught(fetchContent(opts(`${base.origin}/v.mp4`, { range: 'bytes=9000-' })));
    expect(err).toMatchObject({ status: 416, headers: { 'content-range': `bytes */${VIDEO.length}` } });
    expect(base.seen).toEqual([
      { method: 'GET', url: '/v.mp4', authorization: `Bearer ${KEY}`, range: 'bytes=9000-' },
      { method: 'GET', url: '/v.mp4', authorization: `Bearer ${KEY}`, range: undefined },
    ]);
  });

  it('learns N from a foreign host without sending it the credential', async () => {
    const { opts } = setup();
    base.handle((_req, res) => res.writeHead(302, { location: `${cdn.origin}/signed/v.mp4` }).end());
    cdn.handle(rangeRefused(false));
    const err = await caught(fetchContent(opts(`${base.origin}/v1/videos/v/content`, { range: 'bytes=-0' })));
    expect(err).toMatchObject({ status: 416, headers: { 'content-range': `bytes */${VIDEO.length}` } });
    expect(cdn.seen.map((s) => [s.authorization, s.range])).toEqual([
      [undefined, 'bytes=-0'],
      [undefined, undefined],
    ]);
  });

  it('reads only the headers of that GET: the whole video is never downloaded', async () => {
    const { opts } = setup();
    let closed: Promise<void> = Promise.resolve();
    base.handle((req, res) => {
      if (req.headers.range !== undefined) return void res.writeHead(416).end();
      // Headers and a first chunk, then nothing: reading the body would wait for the body timeout (2 s).
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': VIDEO.length }).write(VIDEO.subarray(0, 1024));
      closed = new Promise((resolve) => res.on('close', resolve));
    });
    const started = Date.now();
    const err = await caught(fetchContent(opts(`${base.origin}/v.mp4`, { range: 'bytes=9000-' })));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.headers).toEqual({ 'content-range': `bytes */${VIDEO.length}` });
    await closed; // the connection was dropped rather than drained
  });

  it.each<[string, Handler]>([
    ['an error', (_req, res) => void res.writeHead(500).end('boom')],
    ['no Content-Length (chunked)', (_req, res) => void res.writeHead(200, { 'content-type': 'video/mp4' }).end(VIDEO)],
    ['a redirect', (_req, res) => void res.writeHead(302, { location: '/elsewhere.mp4' }).end()],
  ])('sends the 416 without Content-Range when the GET without Range answers %s', async (_label, whole) => {
    const { opts } = setup();
    base.handle((req, res) => (req.headers.range === undefined ? whole(req, res) : void res.writeHead(416).end()));
    const err = await caught(fetchContent(opts(`${base.origin}/v.mp4`, { range: 'bytes=9000-' })));
    expect(err).toMatchObject({ status: 416, headers: {} });
    expect(base.seen).toHaveLength(2);
  });

  it('sends the 416 without Content-Range when the GET without Range cannot connect', async () => {
    const { opts } = setup();
    let first = true;
    base.handle((req, res) => {
      if (!first) return void req.socket.destroy();
      first = false;
      res.writeHead(416, { connection: 'close' }).end();
    });
    const err = await caught(fetchContent(opts(`${base.origin}/v.mp4`, { range: 'bytes=9000-' })));
    expect(err).toMatchObject({ status: 416, headers: {} });
  });

  it.each<[string, Handler]>([
    ['redirects without a Location', (_req, res) => void res.writeHead(302).end()],
    ['answers JSON naming no URL', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}')],
    ['fails with a 5xx', (_req, res) => void res.writeHead(503).end('Service Unavailable')],
    ['refuses the key', (_req, res) => void res.writeHead(403).end('Forbidden')],
  ])('names no provider when it %s', async (_label, handler) => {
    const { opts } = setup();
    base.handle(handler);
    const err = await caught(fetchContent(opts(`${base.origin}/c`, { jsonUrl: () => undefined })));
    expect(err.status).toBeGreaterThanOrEqual(500);
    expect(err.message).toMatch(/^The upstream provider /);
  });
});
