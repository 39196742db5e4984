import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { GatewayError, RangeNotSatisfiableError } from '../../src/errors.js';
import { parseByteRange, rangeNotSatisfiable, singleByteRange, unsatisfiedRangeLength } from '../../src/providers/byte-range.js';
import { createSandboxProvider } from '../../src/providers/sandbox/index.js';
import type { UpstreamJobRef } from '../../src/providers/types.js';
import { captureLogger, manualClock } from './http/log-capture.js';

/** Well-formed single ranges, as forwarded upstream (normalised). */
const WELL_FORMED: Array<[string, string]> = [
  ['bytes=0-499', 'bytes=0-499'],
  ['bytes=500-', 'bytes=500-'],
  ['bytes=-500', 'bytes=-500'],
  ['BYTES=0-5', 'bytes=0-5'],
  ['Bytes=0-5', 'bytes=0-5'],
  ['  bytes=0-5\t', 'bytes=0-5'],
  ['bytes=007-010', 'bytes=7-10'],
  ['bytes=999999999999999-', 'bytes=999999999999999-'],
  ['bytes=000000000000000000005-9', 'bytes=5-9'],
  // An end or suffix beyond any content (more than 15 digits) means "to the end" / "all of it".
  ['bytes=0-99999999999999999999', 'bytes=0-'],
  ['bytes=10-9999999999999999', 'bytes=10-'],
  ['bytes=-99999999999999999999', 'bytes=0-'],
  // Syntactically one range-spec; whether it fits the content is the server's 416 to give.
  ['bytes=5-2', 'bytes=5-2'],
  ['bytes=-0', 'bytes=-0'],
];

/** Anything else is ignored: the whole body is served with 200 (RFC 9110 §14.2). */
const IGNORED: Array<[string, string | undefined]> = [
  ['no header', undefined],
  ['empty', ''],
  ['whitespace only', '   '],
  ['two ranges', 'bytes=0-0,5-9'],
  ['two ranges, spaced', 'bytes=0-0, 5-9'],
  ['a trailing comma', 'bytes=0-5,'],
  ['letters', 'bytes=abc'],
  ['another unit', 'items=0-5'],
  ['no unit', '0-5'],
  ['a space for the equals sign', 'bytes 0-5'],
  ['a double dash', 'bytes=--5'],
  ['neither end', 'bytes=-'],
  ['nothing after the unit', 'bytes='],
  // A first byte beyond any content cannot be sent on as a safe number.
  ['a 20-digit first byte', 'bytes=99999999999999999999-'],
  ['a 16-digit first byte', 'bytes=9999999999999999-5'],
  ['a space after the equals sign', 'bytes= 0-5'],
  ['a space around the dash', 'bytes=0 - 5'],
  ['Arabic-Indic digits', 'bytes=٠-٥'],
  ['fullwidth digits', 'bytes=０-５'],
  ['an exponent', 'bytes=1e3-'],
  ['hex', 'bytes=0x10-'],
  ['a sign', 'bytes=+5-'],
  ['a negative end', 'bytes=5--1'],
  ['a parameter', 'bytes=0-5;q=1'],
  ['an injected header', 'bytes=0-5\r\nx-evil: 1'],
  ['10 KB of digits', `bytes=${'1'.repeat(10 * 1024)}-`],
  ['10 KB of ranges', `bytes=${'0-1,'.repeat(2600)}0-1`],
];

describe('singleByteRange', () => {
  it.each(WELL_FORMED)('%j → %j', (header, want) => {
    expect(singleByteRange(header)).toBe(want);
  });

  it.each(IGNORED)('ignores %s', (_label, header) => {
    expect(singleByteRange(header)).toBeUndefined();
  });
});

describe('parseByteRange agrees with singleByteRange', () => {
  const SIZE = 1000;

  it.each(IGNORED)('serves the whole body for %s', (_label, header) => {
    expect(parseByteRange(header, SIZE)).toBeUndefined();
  });

  it.each<[string, ReturnType<typeof parseByteRange>]>([
    ['bytes=0-499', { start: 0, end: 499 }],
    ['bytes=500-', { start: 500, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['BYTES=007-010', { start: 7, end: 10 }],
    ['bytes=5-2', 'unsatisfiable'],
    ['bytes=1000-', 'unsatisfiable'],
    ['bytes=999999999999999-', 'unsatisfiable'],
    ['bytes=0-99999999999999999999', { start: 0, end: 999 }],
    ['bytes=-99999999999999999999', { start: 0, end: 999 }],
    ['bytes=-0', 'unsatisfiable'],
  ])('%j', (header, want) => {
    expect(parseByteRange(header, SIZE)).toEqual(want);
  });
});

describe('unsatisfiedRangeLength', () => {
  it.each<[string | undefined, number | undefined]>([
    ['bytes */4096', 4096],
    ['Bytes */0', 0],
    [' bytes */12 ', 12],
    [undefined, undefined],
    ['', undefined],
    ['bytes 0-5/4096', undefined],
    ['bytes */*', undefined],
    ['bytes */-1', undefined],
    ['bytes */1e3', undefined],
    ['bytes */٤', undefined],
    ['bytes */99999999999999999999', undefined],
    ['items */5', undefined],
  ])('%j → %j', (header, want) => {
    expect(unsatisfiedRangeLength(header)).toBe(want);
  });
});

describe('rangeNotSatisfiable', () => {
  it('carries Content-Range: bytes */N when the length is known', () => {
    const err = rangeNotSatisfiable(4096, 'vendor-q7');
    expect(err).toBeInstanceOf(RangeNotSatisfiableError);
    expect(err).toMatchObject({ status: 416, code: 'range_not_satisfiable', param: 'range', provider: 'vendor-q7', headers: { 'content-range': 'bytes */4096' } });
    expect(err.message).toBe('The requested range cannot be satisfied; the content is 4096 bytes.');
  });

  it('leaves the header out when the length is unknown', () => {
    const err = rangeNotSatisfiable(undefined, 'vendor-q7', 'Requested Range Not Satisfiable');
    expect(err.headers).toEqual({});
    expect(err.message).toBe('Requested Range Not Satisfiable');
  });
});

describe('sandbox content ranges', () => {
  const clock = manualClock();
  const sandbox = createSandboxProvider(
    { id: 'sandbox-q7', type: 'sandbox', generation_seconds: 1 },
    { logger: captureLogger().logger, clock, dispatcher: new Agent() },
  );
  const MP4 = fileURLToPath(new URL('../../src/providers/sandbox/media/720x1280-4s.mp4', import.meta.url));
  const ctx = { log: captureLogger().logger };

  async function completedRef(): Promise<UpstreamJobRef> {
    const accepted = await sandbox.create({ prompt: 'ranges', model: 'sandbox', seconds: '4', size: '720x1280' }, ctx);
    clock.advance(2_000);
    return { upstreamId: accepted.upstreamId, credential: accepted.credential, createdAt: clock.now(), seconds: '4', size: '720x1280', last: accepted.state };
  }

  async function contentError(range: string): Promise<GatewayError> {
    const err = await sandbox.content(await completedRef(), { variant: 'video', range }, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }

  it.each(['bytes=0-0,5-9', 'items=0-5', 'bytes=abc', 'bytes=٠-٥'])('serves the whole body for %j', async (range) => {
    const res = await sandbox.content(await completedRef(), { variant: 'video', range }, ctx);
    res.body.destroy();
    expect(res).toMatchObject({ status: 200, contentLength: (await stat(MP4)).size });
    expect(res.contentRange).toBeUndefined();
  });

  it.each(['bytes=5-2', 'bytes=99999999-', 'bytes=-0'])('answers %j with 416 and bytes */N', async (range) => {
    const { size } = await stat(MP4);
    const err = await contentError(range);
    expect(err).toMatchObject({ status: 416, provider: 'sandbox-q7', headers: { 'content-range': `bytes */${size}` } });
    expect(err.message).not.toContain('sandbox-q7');
  });
});
