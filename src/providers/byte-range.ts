import { RangeNotSatisfiableError } from '../errors.js';

/**
 * Single-range `Range: bytes=…` handling (RFC 9110 §14.1.2): parsing for
 * content the gateway serves from a known length (the sandbox), the filter
 * for what is forwarded to an upstream, and the 416 both answer with. A Range
 * that is not exactly one well-formed range-spec (several ranges, another
 * unit, garbage) is ignored and the whole body served, as the RFC allows.
 */
export type ByteRange = { start: number; end: number };

/**
 * One range-spec: `first-last`, `first-` or `-suffix`. ASCII digits only (`\d`
 * never matches other scripts' digits); no whitespace inside, no list.
 */
const RANGE_SPEC = /^bytes=(\d*)-(\d*)$/i;
/** Longer than any range-spec worth reading (two 15-digit numbers, a few leading zeros): not parsed at all. */
const MAX_HEADER = 64;
/** Offsets of up to 15 significant digits are safe integers; a longer one lies beyond any content. */
const MAX_DIGITS = 15;

/** A run of digits as a number, or `'huge'` when it has more than 15 significant digits. */
const offset = (digits: string): number | 'huge' => {
  const significant = digits.replace(/^0+(?=\d)/, '');
  return significant.length > MAX_DIGITS ? 'huge' : Number(significant);
};

/**
 * `first`/`last` of the one range-spec in `header`, or undefined when it is not
 * exactly one. A huge end or suffix means "to the end" / "all of it" and is
 * kept as such; a huge first byte cannot be written as a safe number, and the
 * Range is ignored.
 */
function rangeSpec(header: string | undefined): { first?: number; last?: number } | undefined {
  const trimmed = header?.trim();
  const m = trimmed !== undefined && trimmed.length <= MAX_HEADER ? RANGE_SPEC.exec(trimmed) : null;
  const [, firstDigits = '', lastDigits = ''] = m ?? [];
  if (!m || (firstDigits === '' && lastDigits === '')) return undefined;
  const last = lastDigits === '' ? undefined : offset(lastDigits);
  if (firstDigits === '') return last === 'huge' ? { first: 0 } : { last };
  const first = offset(firstDigits);
  if (first === 'huge') return undefined;
  return { first, last: last === 'huge' ? undefined : last };
}

/**
 * The client's Range normalised (`bytes=first-last`, lower-case unit, no
 * leading zeros, a huge end or suffix written as "to the end") when it is one
 * syntactically valid range-spec, else undefined. Only this is forwarded
 * upstream, so garbage never reaches a provider; whether the range fits the
 * content (`bytes=5-2`, past the end) is the server's call, answered with a 416.
 */
export function singleByteRange(header: string | undefined): string | undefined {
  const spec = rangeSpec(header);
  if (spec === undefined) return undefined;
  return `bytes=${spec.first ?? ''}-${spec.last ?? ''}`;
}

export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const spec = rangeSpec(header);
  if (spec === undefined) return undefined;
  if (spec.first === undefined) {
    // Suffix range: the last N bytes.
    const n = spec.last!;
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = spec.first;
  const end = spec.last === undefined ? size - 1 : Math.min(spec.last, size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** N of a 416's `Content-Range: bytes *\/N` (the complete length), or undefined when absent or malformed. */
export function unsatisfiedRangeLength(contentRange: string | undefined): number | undefined {
  const m = contentRange === undefined ? null : /^bytes \*\/(\d{1,15})$/i.exec(contentRange.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * The 416 for a range the content cannot serve. RFC 9110 §15.5.17 asks for
 * `Content-Range: bytes *\/N` so the client can retry with a range that fits;
 * it is left out only when the length is unknown.
 */
export function rangeNotSatisfiable(length: number | undefined, provider?: string, message?: string): RangeNotSatisfiableError {
  return new RangeNotSatisfiableError(
    message ?? `The requested range cannot be satisfied${length === undefined ? '' : `; the content is ${length} bytes`}.`,
    { provider, headers: length === undefined ? undefined : { 'content-range': `bytes */${length}` } },
  );
}
