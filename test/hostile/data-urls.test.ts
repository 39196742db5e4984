import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReelay } from '../helpers/reelay.js';
import { assertEnvelope, assertOk, assertStillServing, JPEG, PNG_16, postJson, snapshotPrototypes, startHostile } from './support.js';

/** Spec I: data URLs and other schemes in a JSON input_reference.image_url. */

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;

beforeAll(async () => {
  reelay = await startHostile();
});
afterAll(() => reelay?.close());

const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');
const create = (imageUrl: string) => postJson(reelay, '/v1/videos', { prompt: 'animate the reference', input_reference: { image_url: imageUrl } });

describe('I1 image_url values that are not a usable image are 400 naming input_reference.image_url', () => {
  it('a data:image/png URL whose bytes are text is 400 invalid_image_format', async () => {
    assertEnvelope(await create(`data:image/png;base64,${b64('this is plain text, not a PNG at all')}`), {
      status: 400,
      code: 'invalid_image_format',
      param: 'input_reference.image_url',
    });
  });

  it.each([
    ['invalid base64 characters', 'data:image/png;base64,!!!!'],
    ['base64 with wrong padding', 'data:image/png;base64,abc'],
    ['base64 that is only padding', 'data:image/png;base64,===='],
    ['an empty payload', 'data:image/png;base64,'],
    ['a data:text/html URL', `data:text/html;base64,${b64('<h1>hi</h1><script>alert(1)</script>')}`],
    ['a data:image/svg+xml URL', `data:image/svg+xml;base64,${b64('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')}`],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a file: URL', 'file:///etc/passwd'],
    ['an ftp: URL', 'ftp://x'],
  ])('%s', async (_label, url) => {
    assertEnvelope(await create(url), { status: 400, param: 'input_reference.image_url' });
  });
});

describe('I2 real images in data URLs are accepted', () => {
  it('a real PNG', async () => {
    expect(assertOk(await create(`data:image/png;base64,${b64(PNG_16)}`)).status).toBe('queued');
  });

  it('a real JPEG labelled image/png (the type is taken from the bytes)', async () => {
    expect(JPEG.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    expect(assertOk(await create(`data:image/png;base64,${b64(JPEG)}`)).status).toBe('queued');
  });
});

describe('after the data-URL corpus', () => {
  it('is still alive and answering, prototypes untouched', async () => {
    await assertStillServing(reelay, prototypes);
  });
});
