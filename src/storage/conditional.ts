/**
 * If-None-Match (RFC 9110 §13.1.2): true when `etag` matches, so a GET answers
 * 304. `*` matches any current file; otherwise the header is a list of entity
 * tags compared weakly (§8.8.3.2: `W/"x"` matches `"x"`). A header that holds
 * no entity tag at all matches nothing, and the file is served.
 */
const ENTITY_TAG = /(?:W\/)?("[\x21\x23-\x7e\x80-\xff]*")/g;

export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  for (const [, tag] of header.matchAll(ENTITY_TAG)) if (tag === opaque) return true;
  return false;
}
