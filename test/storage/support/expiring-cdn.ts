import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendBytes } from '../../fakes/fake-cdn.js';

/**
 * A provider's CDN whose signed links lapse: it serves its files until
 * `expire()`, then answers every request 403 AccessDenied, as S3 and
 * CloudFront do for a signed URL past its `Expires`.
 */
export interface ExpiringCdn {
  origin: string;
  /** Serves `data` at `path` (starting with `/`) and returns its URL. */
  put(path: string, data: Buffer, contentType: string): string;
  /** Every GET so far, by path. */
  gets(path?: string): number;
  /** From now on the links under `pathPrefix` (default: all) answer 403. */
  expire(pathPrefix?: string): void;
  close(): Promise<void>;
}

export async function startExpiringCdn(): Promise<ExpiringCdn> {
  const files = new Map<string, { data: Buffer; contentType: string }>();
  const requests: string[] = [];
  const expired: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(path);
    const file = files.get(path);
    const lapsed = expired.some((prefix) => path.startsWith(prefix));
    if (lapsed || !file) {
      res.writeHead(lapsed ? 403 : 404, { 'content-type': 'application/xml' }).end(`<Error><Code>${lapsed ? 'AccessDenied' : 'NoSuchKey'}</Code></Error>`);
      return;
    }
    sendBytes(res, req.headers.range, file.data, { 'content-type': file.contentType });
  });
  // A CDN's idle timeout, not Node's 5 s: Node starts it once the last byte is written, and a
  // client still reading a large file's buffered tail (custody under load) would be cut off.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    put(path, data, contentType) {
      files.set(path, { data, contentType });
      return `${origin}${path}`;
    },
    gets: (path) => requests.filter((p) => path === undefined || p === path).length,
    expire(pathPrefix = '/') {
      expired.push(pathPrefix);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
