import type { StoredObject } from './content-storage.js';

/**
 * Both drivers keep a file's facts in a small JSON object beside it
 * (`<key>.json`), written after the file itself: it is the commit marker.
 * A file without one is an unfinished write and does not exist for head or
 * the custody handler, which simply copies again. It is needed because the
 * sha256 is known only once the bytes have streamed, too late for the
 * metadata an S3 upload must declare when it starts.
 */
export const sidecarKey = (key: string): string => `${key}.json`;
export const isSidecar = (name: string): boolean => name.endsWith('.json');

export const encodeSidecar = (facts: StoredObject): string => JSON.stringify(facts);

/** The facts, or undefined for a sidecar that is not one of ours (a torn or foreign file reads as absent). */
export function decodeSidecar(text: string): StoredObject | undefined {
  try {
    const v = JSON.parse(text) as Partial<StoredObject>;
    const ok =
      Number.isSafeInteger(v.size) && typeof v.contentType === 'string' && typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256) && Number.isSafeInteger(v.storedAt);
    return ok ? { size: v.size!, contentType: v.contentType!, sha256: v.sha256!, storedAt: v.storedAt! } : undefined;
  } catch {
    return undefined;
  }
}
