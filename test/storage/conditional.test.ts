import { describe, expect, it } from 'vitest';
import { ifNoneMatchMatches } from '../../src/storage/conditional.js';

const ETAG = `"${'ab'.repeat(32)}"`;

describe('If-None-Match (RFC 9110 §13.1.2, weak comparison)', () => {
  it.each([
    [ETAG, true],
    [`W/${ETAG}`, true],
    ['*', true],
    [' * ', true],
    [`"x", ${ETAG}`, true],
    [`"x",W/${ETAG} , "y"`, true],
    ['"x", "y"', false],
    [ETAG.slice(1, -1), false],
    [`"${'AB'.repeat(32)}"`, false],
    ['', false],
    ['W/', false],
    [`${ETAG.slice(0, -1)}`, false],
  ])('%s matches: %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, ETAG)).toBe(expected);
  });

  it('matches nothing without the header', () => {
    expect(ifNoneMatchMatches(undefined, ETAG)).toBe(false);
  });
});
