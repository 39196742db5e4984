import type { EventHandler } from '../events/handler.js';
import type { Logger } from '../logger.js';
import type { Variant } from '../openai/videos.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { VideoProvider } from '../providers/types.js';
import type { TaskRecord } from '../stores/task-store.js';
import { refOf } from '../videos/job-ref.js';
import type { Copies } from './copies.js';
import type { CustodyEntry } from './custody-record.js';
import type { Limiter } from './limiter.js';

/** The first retry waits this long, doubling per attempt up to an hour. */
const RETRY_MS = 5_000;
const MAX_RETRY_MS = 3_600_000;
/**
 * Then custody gives up (about 15 hours of attempts): provider links rarely
 * outlive that, and the video itself stays completed and downloadable from
 * the provider for as long as the provider serves it.
 */
export const CUSTODY_MAX_ATTEMPTS = 24;

export const custodyRetryDelay = (attempt: number): number => Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** (attempt - 1));

export interface CustodyHandlerDeps {
  copies: Copies;
  providers: ProviderRegistry;
  /** Downloads at once on this instance: the storage driver's own limit (content-storage.ts concurrentPuts). */
  downloads: Limiter;
  /** Aborted on shutdown: a copy in flight fails fast and is retried by whichever instance runs next. */
  signal: AbortSignal;
}

/**
 * Content custody as an outbox consumer: on `video.completed` every variant
 * the provider offers is streamed into storage, one file at a time, and
 * recorded in the record. Idempotent by event id: a variant already recorded
 * is skipped, and one already in storage (an earlier attempt that died before
 * recording it, or a stream-through copy) is recorded without a download. A
 * failure is retried with backoff and never touches the video's state.
 */
export function createCustodyHandler({ copies, providers, downloads, signal }: CustodyHandlerDeps): EventHandler {
  const download = async (record: TaskRecord, provider: VideoProvider, variant: Variant, log: Logger): Promise<CustodyEntry> => {
    const entry = await downloads.run(async () => {
      const response = await provider.content(refOf(record), { variant }, { log: log.child({ provider: provider.id }), signal });
      return copies.store(record.id, variant, response, signal);
    }, signal);
    if (entry.status === 'too_large') log.warn({ variant }, 'video content over storage.max_bytes: not stored, it streams from the provider');
    else log.info({ variant, size: entry.size }, 'stored a copy of the video content');
    return entry;
  };

  const keep = async (record: TaskRecord, provider: VideoProvider, variant: Variant, log: Logger): Promise<void> => {
    if (record.custody?.[variant]) return;
    const entry = (await copies.find(record.id, variant)) ?? (await download(record, provider, variant, log));
    await copies.record(record.id, variant, entry);
  };

  return {
    name: 'custody',
    wants: (event) => event.type === 'video.completed',
    async handle(_event, record, { attempt, now, log }) {
      const provider = providers.get(record.provider);
      if (!provider) {
        log.warn({ provider: record.provider }, 'the provider of this video is no longer configured; nothing to copy from');
        return { done: true };
      }
      const failed: Variant[] = [];
      for (const variant of provider.capabilities.variants) {
        try {
          await keep(record, provider, variant, log);
        } catch (err) {
          failed.push(variant);
          log.warn({ variant, attempt, err: { message: (err as Error).message } }, 'could not store a copy of the video content');
        }
      }
      if (failed.length === 0) return { done: true };
      if (attempt >= CUSTODY_MAX_ATTEMPTS) {
        log.error({ variants: failed, attempts: attempt }, 'gave up storing a copy of the video content; it is served from the provider while the provider has it');
        return { done: true };
      }
      return { retryAt: now + custodyRetryDelay(attempt) };
    },
  };
}
