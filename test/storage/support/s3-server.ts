import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3Config } from '../../../src/storage/s3-storage.js';

/**
 * A real S3-compatible HTTP server (s3rver) on 127.0.0.1, its own port and
 * directory, for one test file: the S3 driver is tested against the wire
 * protocol the SDK speaks, multipart uploads included, not against a mock.
 */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** A `storage.s3` block aimed at this server under `prefix`. */
  config(prefix?: string): S3Config;
  /** The same as YAML lines (indented for `storage:`), for Reelay configs. */
  yaml(prefix?: string): string;
  close(): Promise<void>;
}

export const S3_BUCKET = 'reelay-test';

export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'reelay-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: S3_BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver accepts any signature made with its documented default keys.
  const config = (prefix = ''): S3Config => ({
    bucket: S3_BUCKET,
    prefix,
    endpoint,
    region: 'us-east-1',
    force_path_style: true,
    access_key_id: 'S3RVER',
    secret_access_key: 'S3RVER',
  });
  return {
    endpoint,
    bucket: S3_BUCKET,
    config,
    yaml: (prefix = '') =>
      `  s3:\n    bucket: ${S3_BUCKET}\n    prefix: "${prefix}"\n    endpoint: ${endpoint}\n    force_path_style: true\n    access_key_id: S3RVER\n    secret_access_key: S3RVER\n`,
    async close() {
      // Keep-alive sockets of SDK clients would hold close() open.
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
