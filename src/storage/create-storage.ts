import type { Clock } from '../clock.js';
import type { StorageConfig } from '../config/schema.js';
import type { ContentStorage } from './content-storage.js';
import { createFsStorage } from './fs-storage.js';
import { createS3Storage } from './s3-storage.js';

/** The configured driver, or undefined when custody is off (`storage.type: none`). */
export function createStorage(config: StorageConfig, clock: Clock): ContentStorage | undefined {
  switch (config.type) {
    case 'none':
      return undefined;
    case 'fs':
      return createFsStorage({ dir: config.dir, clock });
    case 's3':
      // The schema refuses type s3 without an s3 block.
      return createS3Storage({ config: config.s3!, clock });
  }
}
