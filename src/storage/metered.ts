import type { Metrics } from '../metrics.js';
import type { ContentStorage } from './content-storage.js';

/**
 * A storage driver that counts committed bytes (`reelay_custody_bytes_total`).
 * Counted when put resolves, which every driver does only once the file is
 * durable and visible: a copy that fails or is aborted midway counts nothing.
 */
export function meteredStorage(storage: ContentStorage, metrics: Pick<Metrics, 'custodyBytes'>): ContentStorage {
  return {
    kind: storage.kind,
    concurrentPuts: storage.concurrentPuts,
    async put(key, body, options) {
      const stored = await storage.put(key, body, options);
      metrics.custodyBytes.inc({ storage: storage.kind }, stored.size);
      return stored;
    },
    head: (key) => storage.head(key),
    get: (key, range) => storage.get(key, range),
    delete: (key) => storage.delete(key),
    sweep: (cutoffMs) => storage.sweep(cutoffMs),
    close: () => storage.close(),
  };
}
