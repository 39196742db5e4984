import { randomBytes } from 'node:crypto';

/**
 * Public video ids: `video_` + 12 hex digits of the creation time in ms + 32
 * hex digits (128 bits) of randomness, 50 characters in all. Because the time
 * comes first, sorting ids sorts videos by creation with ties broken by the
 * random part, which is what list pagination and the owner index rely on.
 * Ids never encode a provider or an upstream id.
 */
export const VIDEO_ID_PATTERN = /^video_[0-9a-f]{44}$/;

export function mintVideoId(nowMs: number): string {
  return `video_${nowMs.toString(16).padStart(12, '0')}${randomBytes(16).toString('hex')}`;
}

export function isVideoId(value: string): boolean {
  return VIDEO_ID_PATTERN.test(value);
}

/** The smallest id that could have been minted at `ms`: a lexical lower bound. */
export function videoIdFloor(ms: number): string {
  return `video_${Math.max(0, ms).toString(16).padStart(12, '0')}`;
}
