import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import type { StorageConfig } from '../config/schema.js';
import { GatewayError, NotFoundError } from '../errors.js';
import type { EventHandler } from '../events/handler.js';
import type { Logger } from '../logger.js';
import type { Variant } from '../openai/videos.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ContentResponse } from '../providers/types.js';
import type { TaskRecord, TaskStore } from '../stores/task-store.js';
import { NotStoredError, type ContentStorage } from './content-storage.js';
import { createCopies } from './copies.js';
import { createCustodyHandler } from './custody-handler.js';
import type { StoredEntry } from './custody-record.js';
import { contentKey } from './keys.js';
import { createLimiter } from './limiter.js';
import { createRetentionSweeper } from './retention.js';
import { serveStored, type ContentConditions, type ContentReply } from './serve.js';
import { CopyAbandonedError, tee } from './tee.js';

/**
 * How far a stream-through copy may fall behind the client before it is
 * given up (the client never waits for storage). Reached only by a fast
 * client in front of slow storage; the custody handler stores the file anyway.
 */
const TEE_MAX_LAG_BYTES = 8 * 1024 * 1024;
const HOUR_MS = 3_600_000;

export interface CustodyDeps {
  storage: ContentStorage;
  store: TaskStore;
  providers: ProviderRegistry;
  clock: Clock;
  config: StorageConfig;
  logger: Logger;
  /** Between two retention sweeps of this instance (default an hour). */
  sweepEveryMs?: number;
}

/**
 * Content custody: Reelay's own copy of every completed video, kept for
 * `storage.retention_days` whatever the provider's link does. The video
 * service calls `open` and `discard`; the runtime registers `handler` with
 * the event dispatcher and starts and closes the rest.
 */
export interface Custody {
  /** The `custody` outbox consumer (custody-handler.ts). */
  readonly handler: EventHandler;
  /**
   * /content for one variant: the stored file when Reelay holds it (404
   * `video_expired` once its retention has passed), else `fromProvider()`,
   * copied into storage on the way when it is a whole 200.
   */
  open(record: TaskRecord, variant: Variant, conditions: ContentConditions, fromProvider: () => Promise<ContentResponse>, log: Logger): Promise<ContentReply>;
  /** Deletes a video's stored files; a failure is logged, and retention removes them later. */
  discard(videoId: string, log: Logger): Promise<void>;
  /** One retention sweep now; answers how many files went. */
  sweep(): Promise<number>;
  /** Starts the periodic retention sweep. */
  start(): void;
  /** Stops sweeping and aborts copies in flight (retried later by the handler); storage itself stays open. */
  close(): Promise<void>;
}

const expired = (id: string, entry: StoredEntry): NotFoundError =>
  new NotFoundError(`Video '${id}' has expired: Reelay kept its content until ${new Date(entry.expiresAt * 1000).toISOString()}.`, {
    param: 'video_id',
    code: 'video_expired',
  });

export function createCustody(deps: CustodyDeps): Custody {
  const { storage, clock, config, logger } = deps;
  const copies = createCopies({ storage, store: deps.store, clock, config });
  const aborter = new AbortController();
  // Every copy in flight (its provider request, its upload) listens to this one signal.
  setMaxListeners(0, aborter.signal);
  const sweeper = createRetentionSweeper({ storage, clock, retentionDays: config.retention_days, logger: logger.child({ component: 'retention' }), everyMs: deps.sweepEveryMs ?? HOUR_MS });
  /** Stream-through copies in flight, by storage key: one at a time per file, awaited on close. */
  const copying = new Map<string, Promise<void>>();

  /** The stored file, or undefined when storage cannot answer (the provider is asked instead). */
  const serveKept = async (id: string, variant: Variant, entry: StoredEntry, conditions: ContentConditions, log: Logger): Promise<ContentReply | undefined> => {
    // Even if the provider's link still worked: after retention the video is gone, as expires_at said.
    if (clock.now() >= entry.expiresAt * 1000) throw expired(id, entry);
    try {
      return await serveStored(storage, contentKey(id, variant), entry, conditions);
    } catch (err) {
      // Swept (retention_days lowered since) or removed by hand: Reelay's copy is gone for good.
      if (err instanceof NotStoredError) throw expired(id, entry);
      if (err instanceof GatewayError) throw err;
      log.warn({ videoId: id, variant, storage: storage.kind, err: { message: (err as Error).message } }, 'stored video content unavailable; serving it from the provider');
      return undefined;
    }
  };

  /** The provider's whole answer, with a copy into storage on the way that never holds the client up. */
  const streamThrough = (id: string, variant: Variant, response: ContentResponse, log: Logger): ContentResponse => {
    const key = contentKey(id, variant);
    if (copying.has(key) || (response.contentLength ?? 0) > config.max_bytes) return response;
    const { client, copy } = tee(response.body, TEE_MAX_LAG_BYTES);
    const done = (async () => {
      const entry = await copies.store(id, variant, { ...response, body: copy }, aborter.signal);
      await copies.record(id, variant, entry);
    })()
      .catch((err: unknown) => {
        // Not an error: the custody handler stores the file regardless.
        const level = err instanceof CopyAbandonedError ? 'debug' : 'warn';
        log[level]({ videoId: id, variant, err: { message: (err as Error).message } }, 'stream-through copy not kept');
      })
      .finally(() => copying.delete(key));
    copying.set(key, done);
    return { ...response, body: client };
  };

  return {
    handler: createCustodyHandler({ copies, providers: deps.providers, downloads: createLimiter(storage.concurrentPuts ?? Infinity), signal: aborter.signal }),

    async open(record, variant, conditions, fromProvider, requestLog) {
      // Its lines are job lines too: they name the provider beside the video id.
      const log = requestLog.child({ provider: record.provider });
      const entry = record.custody?.[variant];
      if (entry?.status === 'stored') {
        const served = await serveKept(record.id, variant, entry, conditions, log);
        if (served) return served;
      }
      const response = await fromProvider();
      // A file already decided on (stored, or too large) and anything but a whole file are passed through as they are.
      return entry || response.status !== 200 ? response : streamThrough(record.id, variant, response, log);
    },

    async discard(videoId, log) {
      await copies.discard(videoId).catch((err: unknown) =>
        log.warn({ videoId, err: { message: (err as Error).message } }, 'could not delete the stored files of a deleted video; retention removes them later'),
      );
    },

    sweep: () => sweeper.sweep(),

    start: () => sweeper.start(),

    async close() {
      aborter.abort();
      await sweeper.stop();
      await Promise.allSettled([...copying.values()]);
    },
  };
}
