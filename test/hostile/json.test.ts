import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReelay } from '../helpers/reelay.js';
import {
  assertEnvelope,
  assertOk,
  assertStillServing,
  call,
  type EnvelopeExpectation,
  jsonLimit,
  postJson,
  rawHttp,
  RawConnection,
  snapshotPrototypes,
  startHostile,
  TEST_KEY,
  waitCompleted,
} from './support.js';

/** Spec A: JSON bodies on POST /v1/videos and POST /v1/videos/{id}/remix. */

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;
let client: OpenAI;
let completedId: string;

beforeAll(async () => {
  reelay = await startHostile();
  client = reelay.client();
  completedId = (await waitCompleted(client, (await client.videos.create({ prompt: 'remix source' })).id)).id;
});
afterAll(() => reelay?.close());

const bytes = (...pieces: (string | number[])[]) => Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

type Case = [label: string, body: unknown, want: EnvelopeExpectation];

describe('A1 malformed or non-object JSON is 400 invalid_json', () => {
  const json = (param: string | null = null): EnvelopeExpectation => ({ status: 400, code: 'invalid_json', param });
  it.each<Case>([
    ['truncated', '{"prompt": "a cat', json()],
    ['trailing garbage', '{"prompt":"p"} trailing', json()],
    ['single quotes', "{'prompt':'p'}", json()],
    ['NaN', '{"prompt":"p","seconds":NaN}', json()],
    ['a lone {', '{', json()],
    ['an array []', '[]', json()],
    ['a string "x"', '"x"', json()],
    ['a number 1', '1', json()],
    ['null', 'null', json()],
    ['true', 'true', json()],
    ['an empty body', '', json()],
    ['invalid UTF-8 0xC3 0x28 in a string', bytes('{"prompt":"a', [0xc3, 0x28], 'b"}'), json()],
    ['a lone 0xFF in a string', bytes('{"prompt":"a', [0xff], 'b"}'), json()],
    ['overlong 0xC0 0xAF in a string', bytes('{"prompt":"a', [0xc0, 0xaf], 'b"}'), json()],
    ['a __proto__ key', '{"__proto__":{"x":1},"prompt":"p"}', json()],
    ['constructor.prototype', '{"constructor":{"prototype":{"x":1}},"prompt":"p"}', json()],
  ])('create: %s', async (_label, body, want) => {
    assertEnvelope(await postJson(reelay, '/v1/videos', body), want);
  });

  it.each<Case>([
    ['truncated', '{"prompt": ', json()],
    ['an array', '[]', json()],
    ['an empty body', '', json()],
    ['a __proto__ key', '{"__proto__":{"x":1},"prompt":"p"}', json()],
    ['invalid UTF-8', bytes('{"prompt":"a', [0xc3, 0x28], '"}'), json()],
  ])('remix: %s', async (_label, body, want) => {
    assertEnvelope(await postJson(reelay, `/v1/videos/${completedId}/remix`, body), want);
  });
});

describe('A2 wrong types, missing and out-of-range values are 400 naming the param', () => {
  const type = (param: string): EnvelopeExpectation => ({ status: 400, code: 'invalid_type', param });
  it.each<Case>([
    ['prompt as a number', { prompt: 1 }, type('prompt')],
    ['prompt as an array', { prompt: ['p'] }, type('prompt')],
    ['prompt as an object', { prompt: { text: 'p' } }, type('prompt')],
    ['prompt as null', { prompt: null }, type('prompt')],
    ['prompt as a boolean', { prompt: true }, type('prompt')],
    ['seconds as a JSON number', { prompt: 'p', seconds: 8 }, type('seconds')],
    ['size as an array', { prompt: 'p', size: ['720x1280'] }, type('size')],
    ['model as an object', { prompt: 'p', model: { name: 'sora-2' } }, type('model')],
    ['input_reference as a string', { prompt: 'p', input_reference: 'https://example.com/a.png' }, type('input_reference')],
    ['input_reference.image_url as a number', { prompt: 'p', input_reference: { image_url: 7 } }, type('input_reference.image_url')],
    ['a missing prompt', { model: 'sora-2' }, { status: 400, code: 'missing_required_parameter', param: 'prompt' }],
    ['an empty prompt', { prompt: '' }, { status: 400, param: 'prompt' }],
    ['a prompt of 32001 characters', { prompt: 'p'.repeat(32001) }, { status: 400, code: 'string_above_max_length', param: 'prompt' }],
    ['seconds "99999999999999999999"', { prompt: 'p', seconds: '99999999999999999999' }, { status: 400, param: 'seconds' }],
    ['size "99999x99999999"', { prompt: 'p', size: '99999x99999999' }, { status: 400, param: 'size' }],
    ['seconds "-4"', { prompt: 'p', seconds: '-4' }, { status: 400, param: 'seconds' }],
    ['seconds "4.5"', { prompt: 'p', seconds: '4.5' }, { status: 400, param: 'seconds' }],
    ['seconds " 4"', { prompt: 'p', seconds: ' 4' }, { status: 400, param: 'seconds' }],
    ['remix: prompt as a number', { prompt: 5 }, type('prompt')],
  ])('%s', async (label, body, want) => {
    const path = label.startsWith('remix') ? `/v1/videos/${completedId}/remix` : '/v1/videos';
    assertEnvelope(await postJson(reelay, path, body), want);
  });

  it('accepts a prompt of exactly 32000 characters (the boundary is not off by one)', async () => {
    assertOk(await postJson(reelay, '/v1/videos', { prompt: 'p'.repeat(32000) }));
  });
});

describe('A3 unknown and unsupported fields', () => {
  const unknown = (param: string): EnvelopeExpectation => ({ status: 400, code: 'unknown_parameter', param, message: `Unknown parameter: '${param}'.` });
  it.each<Case>([
    ['foo', { prompt: 'p', foo: 1 }, unknown('foo')],
    ['input_reference.extra', { prompt: 'p', input_reference: { image_url: 'https://x/y.png', extra: 1 } }, unknown('input_reference.extra')],
    ['toString', { prompt: 'p', toString: 'x' }, unknown('toString')],
    ['hasOwnProperty', { prompt: 'p', hasOwnProperty: 'x' }, unknown('hasOwnProperty')],
    ['valueOf', { prompt: 'p', valueOf: 1 }, unknown('valueOf')],
    ['characters (no provider offers them)', { prompt: 'p', characters: [{ id: 'char_1' }] }, { status: 400, code: 'unsupported_parameter', param: 'characters' }],
    ['remix: foo', { prompt: 'p', foo: 1 }, unknown('foo')],
  ])('%s', async (label, body, want) => {
    const path = label.startsWith('remix') ? `/v1/videos/${completedId}/remix` : '/v1/videos';
    assertEnvelope(await postJson(reelay, path, body), want);
  });
});

describe('A4 oversize JSON is 413, and the client reads it', () => {
  const tooLarge: EnvelopeExpectation = { status: 413, code: 'payload_too_large', param: null };
  const oversize = jsonLimit() * 2 + 1000; // well within drain_bytes (1 MiB)

  it('a Content-Length body over the JSON limit (undici, whole body sent)', async () => {
    const body = JSON.stringify({ prompt: 'x'.repeat(oversize) });
    assertEnvelope(await postJson(reelay, '/v1/videos', body), tooLarge);
  });

  it('a chunked body over the JSON limit', async () => {
    async function* chunks() {
      yield Buffer.from('{"prompt":"');
      for (let sent = 0; sent < oversize; sent += 16384) yield Buffer.alloc(16384, 0x78);
      yield Buffer.from('"}');
    }
    assertEnvelope(await call(reelay, 'POST', '/v1/videos', { headers: { 'content-type': 'application/json' }, body: chunks() }), tooLarge);
  });

  it('a client still writing its body (raw socket) gets the 413, not ECONNRESET/EPIPE', async () => {
    const conn = await RawConnection.open(reelay.origin);
    try {
      await conn.write(
        rawHttp('POST', '/v1/videos', { Authorization: `Bearer ${TEST_KEY}`, 'Content-Type': 'application/json', 'Content-Length': String(oversize) }),
      );
      const writing = conn.writeSlowly(oversize, { chunk: 8192 });
      const reply = await conn.response(8000);
      const sent = await writing;
      expect(reply, `no response: socket ${conn.error ?? 'closed/open'} after ${sent} of ${oversize} bytes`).toBeDefined();
      assertEnvelope(reply!, tooLarge);
    } finally {
      conn.destroy();
    }
  });
});

describe('A5 content types that are neither JSON nor multipart are 415', () => {
  it.each([['text/plain'], ['application/xml'], ['application/x-www-form-urlencoded'], ['garbage/!!;;=']])('%s', async (contentType) => {
    const res = await postJson(reelay, '/v1/videos', contentType.includes('form-urlencoded') ? 'prompt=p' : '{"prompt":"p"}', { contentType });
    assertEnvelope(res, { status: 415, code: 'unsupported_media_type' });
  });
});

describe('after the JSON corpus', () => {
  it('is still alive and answering, prototypes untouched', async () => {
    await assertStillServing(reelay, prototypes);
  });
});
