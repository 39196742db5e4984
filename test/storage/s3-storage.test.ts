import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage, s3ClientConfig } from '../../src/storage/s3-storage.js';
import { manualClock } from '../helpers/manual-clock.js';
import { chunked, describeStorageContract } from './content-storage.contract.js';
import { startS3Server, type S3TestServer } from './support/s3-server.js';

let server: S3TestServer;
let client: S3Client;
beforeAll(async () => {
  server = await startS3Server();
  client = new S3Client(s3ClientConfig(server.config()));
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

/** Every object name in the bucket under `prefix`. */
async function namesUnder(prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

// Each test its own prefix in the shared bucket, as several Reelay deployments might share one.
describeStorageContract('s3 (s3rver)', async (clock) => {
  const prefix = `t-${randomBytes(4).toString('hex')}/`;
  const storage = createS3Storage({ config: server.config(prefix), clock });
  return { storage, names: () => namesUnder(prefix), cleanup: () => storage.close() };
});

describe('s3 storage specifics', () => {
  it('lays a file out as <prefix><video id>/<variant> with its sidecar, and sweeps only its own prefix', async () => {
    const clock = manualClock(Date.now());
    const mine = createS3Storage({ config: server.config('mine/'), clock });
    const theirs = createS3Storage({ config: server.config('theirs/'), clock });
    const opts = { contentType: 'video/mp4', maxBytes: 100 };
    await mine.put('video_1/video', chunked(Buffer.from('a')), opts);
    await theirs.put('video_2/video', chunked(Buffer.from('b')), opts);
    expect(await namesUnder('mine/')).toEqual(['video_1/video', 'video_1/video.json']);
    expect(await mine.sweep(Date.now() + 60_000)).toBe(1);
    expect(await namesUnder('mine/')).toEqual([]);
    expect(await namesUnder('theirs/')).toEqual(['video_2/video', 'video_2/video.json']);
    await Promise.all([mine.close(), theirs.close()]);
  });

  it('refuses half a pair of static credentials', () => {
    expect(() => s3ClientConfig({ ...server.config(), secret_access_key: undefined })).toThrow(/both access_key_id and secret_access_key/);
  });
});
