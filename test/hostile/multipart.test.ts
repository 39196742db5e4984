import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReelay } from '../helpers/reelay.js';
import {
  assertEnvelope,
  assertPrototypesClean,
  assertStillServing,
  call,
  DEFAULT_UPLOAD_BYTES,
  type EnvelopeExpectation,
  multipart,
  type Part,
  PNG_16,
  pngLike,
  postMultipart,
  rawHttp,
  RawConnection,
  snapshotPrototypes,
  startHostile,
  TEST_KEY,
} from './support.js';

/** Spec B: multipart bodies on POST /v1/videos. */

const prototypes = snapshotPrototypes();
/** upload_bytes 65536. */
let reelay: RunningReelay;
/** upload_bytes 1 MiB, so a single text field can exceed the 128 KiB field cap. */
let roomy: RunningReelay;

beforeAll(async () => {
  [reelay, roomy] = await Promise.all([startHostile(), startHostile({ uploadBytes: 1048576 })]);
});
afterAll(async () => {
  await Promise.all([reelay?.close(), roomy?.close()]);
});

const PROMPT: Part = { name: 'prompt', value: 'a multipart prompt' };
const post = (body: Buffer | string, contentType: string, target = reelay) =>
  call(target, 'POST', '/v1/videos', { headers: { 'content-type': contentType }, body });

describe('B1 broken multipart framing is 400 invalid_multipart, never 500', () => {
  const broken: EnvelopeExpectation = { status: 400, code: 'invalid_multipart', param: null };
  const valid = multipart([PROMPT]);
  it.each<[string, () => Promise<Awaited<ReturnType<typeof post>>>]>([
    ['no boundary parameter', () => post(valid.body, 'multipart/form-data')],
    ['a boundary the body does not use', () => post(valid.body, 'multipart/form-data; boundary=not-the-one-used')],
    ['an unterminated part', () => post(`--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhello, and then noth`, 'multipart/form-data; boundary=b')],
    ['a JSON body labelled multipart', () => post('{"prompt":"p"}', 'multipart/form-data; boundary=x')],
    ['garbage bytes', () => post(randomBytes(4096), 'multipart/form-data; boundary=x')],
    ['a part with a Content-Disposition but no name', () => postMultipart(reelay, '/v1/videos', [PROMPT, { value: 'nameless', disposition: 'Content-Disposition: form-data' }])],
  ])('%s', async (_label, send) => {
    assertEnvelope(await send(), broken);
  });

  it('ignores a part with no Content-Disposition at all, as busboy does: it names no parameter', async () => {
    const res = await postMultipart(reelay, '/v1/videos', [PROMPT, { value: 'orphan', disposition: null }]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ object: 'video', prompt: expect.any(String) });
  });
});

describe('B2 prototype names in any bracket position are 400 invalid_field_name and pollute nothing', () => {
  it.each([
    ['__proto__'],
    ['constructor'],
    ['prototype'],
    ['toString'],
    ['hasOwnProperty'],
    ['__proto__[seconds]'],
    ['constructor[prototype][seconds]'],
    ['prototype[x]'],
    ['input_reference[__proto__]'],
    ['input_reference[constructor]'],
    ['input_reference[prototype]'],
    ['characters[][__proto__]'],
    ['__proto__[]'],
    ['a[__proto__][b]'],
    ['x[][constructor]'],
  ])('%s', async (name) => {
    const res = await postMultipart(reelay, '/v1/videos', [PROMPT, { name, value: '8' }]);
    try {
      assertEnvelope(res, { status: 400, code: 'invalid_field_name', param: [null, name] });
    } finally {
      assertPrototypesClean(prototypes);
    }
    const after = await reelay.client().videos.create({ prompt: `a normal create after ${name}` });
    expect(after.status).toBe('queued');
    expect(after.seconds).toBe('4');
  });
});

describe('B3 counts and sizes', () => {
  it.each<[string, Part[], string]>([
    ['input_reference and other', [PROMPT, { name: 'input_reference', filename: 'a.png', type: 'image/png', value: PNG_16 }, { name: 'other', filename: 'b.png', type: 'image/png', value: PNG_16 }], 'other'],
    ['input_reference twice', [PROMPT, { name: 'input_reference', filename: 'a.png', type: 'image/png', value: PNG_16 }, { name: 'input_reference', filename: 'b.png', type: 'image/png', value: PNG_16 }], 'input_reference'],
  ])('two tiny files (%s) are 400 too_many_files naming the second, not 413', async (_label, parts, param) => {
    assertEnvelope(await postMultipart(reelay, '/v1/videos', parts), { status: 400, code: 'too_many_files', param });
  });

  it('17 text fields (the limit is 16) are 400 too_many_fields', async () => {
    const parts = [PROMPT, ...Array.from({ length: 16 }, (_, i) => ({ name: `f${i + 1}`, value: 'v' }))];
    assertEnvelope(await postMultipart(reelay, '/v1/videos', parts), { status: 400, code: 'too_many_fields' });
  });

  it('one text field over the 128 KiB field cap is 400 string_above_max_length naming it', async () => {
    const res = await postMultipart(roomy, '/v1/videos', [PROMPT, { name: 'model', value: 'm'.repeat(131072 + 8000) }]);
    assertEnvelope(res, { status: 400, code: 'string_above_max_length', param: 'model' });
  });

  const tooLarge: EnvelopeExpectation = { status: 413, code: 'payload_too_large', param: null };

  it('a body over upload_bytes made of text fields each under the field cap is 413', async () => {
    const parts = [PROMPT, ...Array.from({ length: 9 }, (_, i) => ({ name: `f${i + 1}`, value: 'v'.repeat(125_000) }))];
    assertEnvelope(await postMultipart(roomy, '/v1/videos', parts), tooLarge);
  });

  it('a single file over upload_bytes is 413', async () => {
    const res = await postMultipart(reelay, '/v1/videos', [PROMPT, { name: 'input_reference', filename: 'big.png', type: 'image/png', value: pngLike(DEFAULT_UPLOAD_BYTES + 40_000) }]);
    assertEnvelope(res, tooLarge);
  });

  it('a chunked multipart body (no Content-Length) over upload_bytes is 413', async () => {
    const form = multipart([PROMPT, { name: 'input_reference', filename: 'big.png', type: 'image/png', value: pngLike(DEFAULT_UPLOAD_BYTES * 3) }]);
    async function* chunks() {
      for (let at = 0; at < form.body.length; at += 8192) yield form.body.subarray(at, at + 8192);
    }
    assertEnvelope(await call(reelay, 'POST', '/v1/videos', { headers: { 'content-type': form.contentType }, body: chunks() }), tooLarge);
  });

  it('a Content-Length over the cap (and over drain_bytes) is 413 before any body is sent', async () => {
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(
        rawHttp('POST', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}`, 'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': '5000000' }),
      );
      // request_timeout_s is 2: an answer inside 1.5 s was not provoked by a timeout.
      const reply = await conn.response(1500);
      expect(reply, `no 413 before the body; socket ${conn.error ?? (conn.closed ? 'closed' : 'open')}`).toBeDefined();
      assertEnvelope(reply!, tooLarge);
    } finally {
      conn.destroy();
    }
  });

  it('a client still uploading (excess within drain_bytes) reads the 413, not a reset', async () => {
    const head = Buffer.from(`--b\r\nContent-Disposition: form-data; name="input_reference"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`);
    const fileBytes = DEFAULT_UPLOAD_BYTES + 300_000;
    const tail = Buffer.from('\r\n--b--\r\n');
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(
        rawHttp('POST', '/v1/videos', {
          Authorization: `Bearer ${TEST_KEY}`,
          'Content-Type': 'multipart/form-data; boundary=b',
          'Content-Length': String(head.length + fileBytes + tail.length),
        }),
      );
      await conn.write(head);
      const writing = conn.writeSlowly(fileBytes, { chunk: 8192 }).then(() => conn.write(tail));
      const reply = await conn.response(8000);
      await writing;
      expect(reply, `no response: socket ${conn.error ?? (conn.closed ? 'closed' : 'open')}`).toBeDefined();
      assertEnvelope(reply!, tooLarge);
    } finally {
      conn.destroy();
    }
  });
});

describe('B4 part contents', () => {
  it.each<[string, Part[], EnvelopeExpectation]>([
    ['a text part labelled application/json holding invalid JSON', [PROMPT, { name: 'seconds', type: 'application/json', value: '{not json' }], { status: 400, code: 'invalid_json' }],
    ['a text file named x.png typed image/png', [PROMPT, { name: 'input_reference', filename: 'x.png', type: 'image/png', value: 'just some text, not an image' }], { status: 400, code: 'invalid_image_format', param: 'input_reference' }],
    ['a real PNG under another field name (image)', [PROMPT, { name: 'image', filename: 'x.png', type: 'image/png', value: PNG_16 }], { status: 400, param: 'image' }],
    ['an unknown text field foo', [PROMPT, { name: 'foo', value: 'bar' }], { status: 400, code: 'unknown_parameter', param: 'foo', message: "Unknown parameter: 'foo'." }],
  ])('%s', async (_label, parts, want) => {
    assertEnvelope(await postMultipart(reelay, '/v1/videos', parts), want);
  });
});

describe('after the multipart corpus', () => {
  it('both instances are still alive and answering, prototypes untouched', async () => {
    await assertStillServing(reelay, prototypes);
    await assertStillServing(roomy, prototypes);
  });
});
