import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OpenAI from 'openai';
import type { Clock } from '../../../src/clock.js';
import { CONTENT_TYPES, type Variant } from '../../../src/openai/videos.js';
import { s3ClientConfig } from '../../../src/storage/s3-storage.js';
import type { TaskRecord } from '../../../src/stores/task-store.js';
import { startFakeOpenAI, type FakeJob, type FakeOptions, type OpenAIShapedFake } from '../../fakes/openai-upstream.js';
import { eventually, startReelay, TEST_KEY, type RunningReelay } from '../../helpers/reelay.js';
import { providerYaml } from '../../providers/support/e2e-env.js';
import { startExpiringCdn, type ExpiringCdn } from './expiring-cdn.js';
import type { S3TestServer } from './s3-server.js';

/**
 * Reelay with content custody on, in front of the fake OpenAI upstream whose
 * content redirects to a CDN that can expire its links: the setting of every
 * custody end-to-end test, on the fs driver or on s3 against a real server.
 */

export type Driver = 'fs' | 's3';
export const VARIANTS: readonly Variant[] = ['video', 'thumbnail', 'spritesheet'];
const UPSTREAM_KEY = 'sk-upstream-custody-key-0001';

/** The `storage:` lines (indented two spaces) of a driver. */
export const storageLines = (driver: Driver, where: { dir: string; s3?: S3TestServer | undefined; prefix: string }): string =>
  driver === 'fs' ? `  type: fs\n  dir: ${where.dir}\n` : `  type: s3\n${where.s3!.yaml(where.prefix)}`;

/** `providers:` with one openai-shaped upstream, and `models:` with sora-2 on it. */
export const upstreamYaml = (id: string, url: string, key: string, timeoutMs: number): string =>
  `providers:\n${providerYaml('openai', id, url, [key], { timeoutMs })}models:\n  sora-2:\n    - provider: ${id}\n`;

export interface CustodyEnvOptions {
  driver: Driver;
  /** Needed for `driver: s3`. */
  s3?: S3TestServer;
  clock?: Clock;
  /** More `storage:` lines, each indented two spaces. */
  storage?: string;
  /** What the CDN serves for a job's variant; undefined: the fake's own deterministic bytes. */
  content?: (job: FakeJob, variant: Variant) => Buffer | undefined;
  fake?: FakeOptions;
  logLevel?: string;
  /** A Redis URL: the store is Redis (with a fresh prefix) instead of memory. */
  redisUrl?: string;
}

export interface CustodyEnv {
  fake: OpenAIShapedFake;
  cdn: ExpiringCdn;
  reelay: RunningReelay;
  client: OpenAI;
  /** The record as the store has it now. */
  record(id: string): Promise<TaskRecord | undefined>;
  /** Waits until the record's custody has an entry for each of `variants`. */
  untilKept(id: string, variants?: readonly Variant[]): Promise<TaskRecord>;
  /** Retrieves (each retrieve is one upstream poll) until the video is terminal. */
  complete(id: string): Promise<OpenAI.Videos.Video>;
  /** The bytes the provider has for the video's variant. */
  providerBytes(id: string, variant?: Variant): Promise<Buffer>;
  /** Names the driver holds for the video (files and sidecars), sorted. */
  storedNames(id: string): Promise<string[]>;
  /** The CDN path of a video's variant. */
  cdnPath(id: string, variant?: Variant): Promise<string>;
  /** The provider's links to this video's files lapse: the CDN answers 403 from now on. */
  expireLinks(id: string): Promise<void>;
  close(): Promise<void>;
}

export async function startCustodyEnv(options: CustodyEnvOptions): Promise<CustodyEnv> {
  const cdn = await startExpiringCdn();
  const pathOf = (jobId: string, variant: Variant) => `/signed/${encodeURIComponent(jobId)}.${variant}`;
  const bytesOf = (job: FakeJob, variant: Variant): Buffer => options.content?.(job, variant) ?? fake.bytes(job.id, variant);
  const fake: OpenAIShapedFake = await startFakeOpenAI({
    keys: [UPSTREAM_KEY],
    contentRedirect: (job, variant) => cdn.put(pathOf(job.id, variant), bytesOf(job, variant), CONTENT_TYPES[variant]),
    ...options.fake,
  });
  const dir = await mkdtemp(join(tmpdir(), 'reelay-custody-'));
  const prefix = `e2e-${randomBytes(4).toString('hex')}/`;
  const yaml = `
store:
  type: ${options.redisUrl ? `redis\n  url: ${options.redisUrl}\n  prefix: "${prefix}"` : 'memory'}
  # Past storage.retention_days, so a video outlives its stored files and /content can say video_expired.
  retention_days: 90
keys:
  - name: alice
    key: ${TEST_KEY}
poll:
  stale_ms: 0
  min_interval_ms: 0
  initial_ms: 50
  max_ms: 200
storage:
${storageLines(options.driver, { dir: join(dir, 'content'), s3: options.s3, prefix })}  retention_days: 30
${options.storage ?? ''}${upstreamYaml('up-custody-z9', fake.url, UPSTREAM_KEY, 5000)}`;
  const reelay = await startReelay({ yaml, ...(options.clock ? { clock: options.clock } : {}), ...(options.logLevel ? { logLevel: options.logLevel } : {}) });
  const client = reelay.client();
  const s3 = options.driver === 's3' && options.s3 ? new S3Client(s3ClientConfig(options.s3.config())) : undefined;
  const record = (id: string) => reelay.runtime.store.get(id);
  const upstreamId = async (id: string) => (await record(id))!.upstreamId;

  return {
    fake,
    cdn,
    reelay,
    client,
    record,
    untilKept: (id, variants = VARIANTS) =>
      eventually(async () => {
        const r = await record(id);
        return r && variants.every((v) => r.custody?.[v]) ? r : undefined;
      }),
    async complete(id) {
      for (let i = 0; i < 20; i++) {
        const video = await client.videos.retrieve(id);
        if (video.status === 'completed' || video.status === 'failed') return video;
      }
      throw new Error(`video ${id} never finished`);
    },
    async providerBytes(id, variant = 'video') {
      return bytesOf(fake.jobs.get(await upstreamId(id))!, variant);
    },
    async storedNames(id) {
      if (!s3) return (await readdir(join(dir, 'content', id)).catch(() => [])).sort();
      const page = await s3.send(new ListObjectsV2Command({ Bucket: options.s3!.bucket, Prefix: `${prefix}${id}/` }));
      return (page.Contents ?? []).map((o) => o.Key!.slice(prefix.length + id.length + 1)).sort();
    },
    cdnPath: async (id, variant = 'video') => pathOf(await upstreamId(id), variant),
    async expireLinks(id) {
      cdn.expire(pathOf(await upstreamId(id), 'video').replace(/video$/, ''));
    },
    async close() {
      await reelay.close();
      s3?.destroy();
      await Promise.all([fake.close(), cdn.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
