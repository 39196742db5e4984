import { parseByteRange, rangeNotSatisfiable } from '../providers/byte-range.js';
import type { ContentResponse } from '../providers/types.js';
import type { ContentStorage } from './content-storage.js';
import { ifNoneMatchMatches } from './conditional.js';
import type { StoredEntry } from './custody-record.js';

/** The request headers /content answers by. */
export interface ContentConditions {
  range?: string | undefined;
  ifNoneMatch?: string | undefined;
}

/** A 304: the client's copy is current. */
export interface NotModified {
  status: 304;
  etag: string;
  lastModified: string;
}

export type ContentReply = ContentResponse | NotModified;

/**
 * A stored file as /content answers it: its validators (ETag, the quoted
 * sha256; Last-Modified, when it was stored), then If-None-Match before Range
 * (RFC 9110 §13.2.2: a matching GET is a 304 whatever it asked for), then one
 * byte range (206), a range outside the file (416 with `bytes *\/N`), or all of it.
 */
export async function serveStored(storage: ContentStorage, key: string, entry: StoredEntry, conditions: ContentConditions): Promise<ContentReply> {
  const validators = { etag: `"${entry.sha256}"`, lastModified: new Date(entry.storedAt).toUTCString() };
  if (ifNoneMatchMatches(conditions.ifNoneMatch, validators.etag)) return { status: 304, ...validators };
  const range = parseByteRange(conditions.range, entry.size);
  if (range === 'unsatisfiable') throw rangeNotSatisfiable(entry.size);
  const body = await storage.get(key, range);
  const common = { body, contentType: entry.contentType, ...validators };
  if (range === undefined) return { status: 200, ...common, contentLength: entry.size };
  return { status: 206, ...common, contentLength: range.end - range.start + 1, contentRange: `bytes ${range.start}-${range.end}/${entry.size}` };
}
