import type { ImageMime } from '../providers/types.js';

/**
 * The image type by magic bytes. The SDK sends streamed files as
 * application/octet-stream, so the declared part type cannot be trusted.
 */
export function sniffImage(data: Buffer): ImageMime | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}
