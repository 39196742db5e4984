import { pipeline, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Clock } from '../clock.js';
import type { StorageConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { NotStoredError, type ContentStorage, type StoredObject } from './content-storage.js';
import { assertKey } from './keys.js';
import { createLimiter } from './limiter.js';
import { adoptBody, createMeter } from './meter.js';
import { decodeSidecar, encodeSidecar, isSidecar, sidecarKey } from './sidecar.js';

export type S3Config = NonNullable<StorageConfig['s3']>;

export interface S3StorageOptions {
  config: S3Config;
  clock: Clock;
  /** Tests and tools may bring their own client; otherwise one is built from `config`. */
  client?: S3Client;
}

/**
 * S3's smallest part. Upload buffers a part before sending it, so this times
 * queueSize (1) bounds one upload's memory; a smaller part is refused by S3.
 */
const PART_BYTES = 5 * 1024 * 1024;
/**
 * Uploads in flight per instance. Each holds up to two parts (the one being
 * filled and the one being sent), so this caps custody's S3 buffers at about
 * 20 MiB however many copies run; the others wait. Measured against s3rver,
 * 2 moved 50 copies of 50 MB as fast as 4 did with half the memory
 * (test/storage/custody-memory.test.ts).
 */
const UPLOADS_IN_FLIGHT = 2;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

const isNotFound = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

/** Static keys from config, else the SDK's standard chain (AWS_* variables, profiles, instance roles). */
export function s3ClientConfig(config: S3Config): S3ClientConfig {
  const { access_key_id: id, secret_access_key: secret } = config;
  if ((id === undefined) !== (secret === undefined)) {
    throw new ConfigError(['storage.s3: give both access_key_id and secret_access_key, or neither (the standard AWS environment is then used)']);
  }
  return {
    region: config.region,
    forcePathStyle: config.force_path_style,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret } } : {}),
  };
}

/**
 * Objects in `bucket` under `prefix`: `<prefix><video id>/<variant>` plus its
 * `.json` sidecar. Works against AWS and S3-compatible servers (MinIO, R2,
 * s3rver) with `endpoint` and `force_path_style`.
 */
export function createS3Storage({ config, clock, client: given }: S3StorageOptions): ContentStorage {
  const client = given ?? new S3Client(s3ClientConfig(config));
  const { bucket: Bucket, prefix } = config;
  const nameOf = (key: string): string => `${prefix}${assertKey(key)}`;
  const uploads = createLimiter(UPLOADS_IN_FLIGHT);

  const upload = async (Key: string, body: Readable, ContentType: string, signal: AbortSignal | undefined): Promise<void> => {
    const transfer = new Upload({ client, params: { Bucket, Key, Body: body, ContentType }, queueSize: 1, partSize: PART_BYTES });
    const abort = (): void => void transfer.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      // On failure Upload aborts its multipart upload: no object, no parts left behind.
      await transfer.done();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  };

  const deleteNames = async (names: string[]): Promise<void> => {
    for (let i = 0; i < names.length; i += DELETE_BATCH) {
      const Objects = names.slice(i, i + DELETE_BATCH).map((Key) => ({ Key }));
      await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }));
    }
  };

  return {
    kind: 's3',
    concurrentPuts: UPLOADS_IN_FLIGHT,

    async put(key, body, { contentType, maxBytes, expectedBytes, signal }) {
      adoptBody(body);
      const Key = nameOf(key);
      return uploads.run(async () => {
        const meter = createMeter(maxBytes, expectedBytes);
        // The callback form hands back the meter, destroyed (with the body) on any error, which fails the upload.
        const metered = pipeline(body, meter.stream, () => undefined);
        try {
          await upload(Key, metered, contentType, signal);
        } finally {
          // An upload that failed on S3's side stops reading: release the provider's stream too.
          metered.destroy();
        }
        const facts: StoredObject = { ...meter.result(), contentType, storedAt: clock.now() };
        // The sidecar goes last: it is the commit marker (sidecar.ts).
        await client.send(new PutObjectCommand({ Bucket, Key: sidecarKey(Key), Body: encodeSidecar(facts), ContentType: 'application/json' }));
        return facts;
      }, signal);
    },

    async head(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: sidecarKey(nameOf(key)) }));
        return decodeSidecar((await res.Body?.transformToString('utf8')) ?? '');
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async get(key, range) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: nameOf(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
        if (!(res.Body instanceof Readable)) throw new Error('the S3 client returned no stream');
        return res.Body;
      } catch (err) {
        if (isNotFound(err)) throw new NotStoredError(key);
        throw err;
      }
    },

    async delete(key) {
      const Key = nameOf(key);
      // Commit marker first, so a half-done delete reads as "not stored", never as a file without its bytes.
      await client.send(new DeleteObjectCommand({ Bucket, Key: sidecarKey(Key) }));
      await client.send(new DeleteObjectCommand({ Bucket, Key }));
    },

    async sweep(cutoffMs) {
      let removed = 0;
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }));
        const old = (page.Contents ?? []).filter((o) => o.Key !== undefined && o.LastModified !== undefined && o.LastModified.getTime() < cutoffMs).map((o) => o.Key!);
        await deleteNames(old);
        removed += old.filter((name) => !isSidecar(name)).length;
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return removed;
    },

    async close() {
      if (!given) client.destroy();
    },
  };
}
