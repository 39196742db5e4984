import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A static file host on its own port, standing in for a provider's CDN
 * (cdn.aimlapi.com, a reseller's video_url host). Because its origin differs
 * from the fake upstream's, it lets tests prove that no credential reaches a
 * foreign host: every request's headers are recorded.
 */

export interface CdnRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FakeCdn {
  /** http://127.0.0.1:PORT (no trailing slash). */
  origin: string;
  requests: CdnRequest[];
  /** Serves `data` at `path` (starting with `/`) and returns its absolute URL. */
  put(path: string, data: Buffer, contentType?: string): string;
  close(): Promise<void>;
}

/** Single-range `bytes=a-b` / `bytes=a-` / `bytes=-n`; undefined for none or unparseable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

export interface SendBytesOptions {
  /** A 416 says `Content-Range: bytes *\/N` (default), or nothing, as some CDNs and proxies do. */
  unsatisfiedContentRange?: boolean;
}

/** Writes `data` honouring the request's Range header (200 or 206 or 416). */
export function sendBytes(
  res: ServerResponse,
  rangeHeader: string | undefined,
  data: Buffer,
  headers: Record<string, string>,
  { unsatisfiedContentRange = true }: SendBytesOptions = {},
): void {
  const range = parseRange(rangeHeader, data.length);
  if (range === 'unsatisfiable') {
    res.writeHead(416, unsatisfiedContentRange ? { 'content-range': `bytes */${data.length}` } : {}).end();
    return;
  }
  if (range) {
    const slice = data.subarray(range.start, range.end + 1);
    res
      .writeHead(206, { ...headers, 'content-length': String(slice.length), 'content-range': `bytes ${range.start}-${range.end}/${data.length}`, 'accept-ranges': 'bytes' })
      .end(slice);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(data.length), 'accept-ranges': 'bytes' }).end(data);
}

export async function startFakeCdn(options: SendBytesOptions = {}): Promise<FakeCdn> {
  const files = new Map<string, { data: Buffer; contentType: string }>();
  const requests: CdnRequest[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers });
    const file = files.get(path);
    if (!file || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    sendBytes(res, req.headers.range, file.data, { 'content-type': file.contentType }, options);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    put(path, data, contentType = 'video/mp4') {
      files.set(path, { data, contentType });
      return `${origin}${path}`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
