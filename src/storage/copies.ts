import { DAY_MS, type Clock } from '../clock.js';
import type { StorageConfig } from '../config/schema.js';
import { CONTENT_VARIANTS, type Variant } from '../openai/videos.js';
import type { ContentResponse } from '../providers/types.js';
import type { TaskStore } from '../stores/task-store.js';
import { TooLargeError, type ContentStorage, type StoredObject } from './content-storage.js';
import type { CustodyEntry, StoredEntry } from './custody-record.js';
import { contentKey } from './keys.js';
import { adoptBody } from './meter.js';

export interface CopiesDeps {
  storage: ContentStorage;
  store: Pick<TaskStore, 'updateCustody'>;
  clock: Clock;
  config: Pick<StorageConfig, 'max_bytes' | 'retention_days'>;
}

/**
 * The steps the custody handler and the stream-through copy share: store a
 * provider's answer under the video's key, turn what storage measured into
 * the record's entry, and record it without outliving a deleted video.
 */
export interface Copies {
  /** The committed file under (video, variant), as an entry, when storage has one. */
  find(videoId: string, variant: Variant): Promise<StoredEntry | undefined>;
  /**
   * Streams a whole (200) provider answer into storage. A file over
   * `storage.max_bytes` is not stored and comes back as `too_large`; any other
   * failure rejects, leaving nothing stored.
   */
  store(videoId: string, variant: Variant, response: ContentResponse, signal?: AbortSignal): Promise<CustodyEntry>;
  /** Writes the entry into the record; when the record is gone, deletes the file instead. */
  record(videoId: string, variant: Variant, entry: CustodyEntry): Promise<void>;
  /** Deletes every file of the video (all variants), idempotently. */
  discard(videoId: string): Promise<void>;
}

export function createCopies({ storage, store, clock, config }: CopiesDeps): Copies {
  const retentionS = (config.retention_days * DAY_MS) / 1000;
  const entryOf = (stored: StoredObject): StoredEntry => ({ status: 'stored', ...stored, expiresAt: Math.floor(stored.storedAt / 1000) + retentionS });
  const tooLarge = (): CustodyEntry => ({ status: 'too_large', at: clock.now() });

  return {
    async find(videoId, variant) {
      const stored = await storage.head(contentKey(videoId, variant));
      return stored && entryOf(stored);
    },

    async store(videoId, variant, response, signal) {
      const { body, contentLength, contentType } = response;
      if (response.status !== 200) {
        adoptBody(body).destroy();
        throw new Error(`the provider answered ${response.status}, not the whole file`);
      }
      // Announced too large: not a byte is read (undici reports a body dropped unread as an error, hence adoptBody).
      if (contentLength !== undefined && contentLength > config.max_bytes) {
        adoptBody(body).destroy();
        return tooLarge();
      }
      try {
        return entryOf(await storage.put(contentKey(videoId, variant), body, { contentType, maxBytes: config.max_bytes, expectedBytes: contentLength, signal }));
      } catch (err) {
        if (err instanceof TooLargeError) return tooLarge();
        throw err;
      }
    },

    async record(videoId, variant, entry) {
      if (await store.updateCustody(videoId, variant, entry)) return;
      // Deleted while its file was being copied: the copy must not outlive the video.
      if (entry.status === 'stored') await storage.delete(contentKey(videoId, variant));
    },

    async discard(videoId) {
      await Promise.all(CONTENT_VARIANTS.map((variant) => storage.delete(contentKey(videoId, variant))));
    },
  };
}
