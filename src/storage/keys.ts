import type { Variant } from '../openai/videos.js';

/**
 * Storage keys. A video's files live under its own id, one per variant
 * (`video_…/video`, `video_…/thumbnail`), so a video's files are found, and
 * deleted, from its id alone, and a record copied from another (a remix)
 * can never point at the other's files.
 */
export const contentKey = (videoId: string, variant: Variant): string => `${videoId}/${variant}`;

/**
 * Segments of letters, digits, `_`, `-` and `.`, none starting with a dot and
 * none ending in `.json`: a key can never climb out of the storage root, nor
 * collide with a driver's temp files (dot-prefixed) or its sidecars.
 */
const KEY = /^(?!.*\.json$)[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

export function assertKey(key: string): string {
  if (!KEY.test(key) || key.split('/').includes('..')) throw new Error(`not a valid storage key: ${JSON.stringify(key)}`);
  return key;
}
