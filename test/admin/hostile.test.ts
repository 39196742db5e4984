import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEnvelope, call, restorePrototypes, snapshotPrototypes } from '../hostile/support.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { ADMIN_KEY, adminClient, adminYaml, type AdminClient } from './support.js';

/** What any admin key holder (or anyone, before auth) may send the admin API: every answer a clean envelope. */

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;
let admin: AdminClient;
let keyId: string;

beforeAll(async () => {
  reelay = await startReelay({ yaml: adminYaml() });
  admin = adminClient(reelay);
  keyId = (await admin.request('POST', '/keys', { name: 'target' })).json.id;
});
afterAll(async () => {
  await reelay?.close();
});

const metadata = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('wrong types and values on create and update', () => {
  it.each([
    ['name as a number', { name: 123 }, 'name'],
    ['name as an object', { name: { first: 'x' } }, 'name'],
    ['a name with a control character', { name: 'a\u0000b' }, 'name'],
    ['models as a string', { name: 'x', models: 'sora-2' }, 'models'],
    ['models holding a number', { name: 'x', models: [1] }, 'models.0'],
    ['metadata as an array', { name: 'x', metadata: ['a'] }, 'metadata'],
    ['metadata as a string', { name: 'x', metadata: 'a=b' }, 'metadata'],
    ['a metadata value that is a number', { name: 'x', metadata: { a: 1 } }, 'metadata.a'],
    ['17 metadata entries', { name: 'x', metadata: metadata(17) }, 'metadata'],
    ['constructor as a metadata key', { name: 'x', metadata: { constructor: 'x' } }, 'metadata.constructor'],
    ['prototype as a metadata key', { name: 'x', metadata: { prototype: 'x' } }, 'metadata.prototype'],
    ['disabled as a string', { name: 'x', disabled: 'true' }, 'disabled'],
    ['expires_at as a date string', { name: 'x', expires_at: '2030-01-01' }, 'expires_at'],
    ['webhook_url as a number', { name: 'x', webhook_url: 5 }, 'webhook_url'],
    ['rpm beyond 2^53', '{"name":"x","rpm":9007199254740993}', 'rpm'],
    ['rpm 1e308', { name: 'x', rpm: 1e308 }, 'rpm'],
    ['usd_per_month 1e300', { name: 'x', usd_per_month: 1e300 }, 'usd_per_month'],
    ['a 100,000-character name', { name: 'n'.repeat(100_000) }, 'name'],
    ['a 100,000-character metadata value', { name: 'x', metadata: { a: 'v'.repeat(100_000) } }, 'metadata.a'],
    ['a 1,000-character metadata key', { name: 'x', metadata: { ['k'.repeat(1000)]: 'v' } }, `metadata.${'k'.repeat(1000)}`],
    ['10,000 model aliases', { name: 'x', models: Array(10_000).fill('sora-2') }, 'models'],
    ['a 5,000-character webhook_url', { name: 'x', webhook_url: `https://example.com/${'p'.repeat(5000)}` }, 'webhook_url'],
  ])('POST /keys with %s is a 400 naming it', async (_label, body, param) => {
    const res = await admin.request('POST', '/keys', body);
    const error = assertEnvelope(res, { status: 400 });
    expect(error.param?.slice(0, 200)).toBe(param.slice(0, 200));
    expect(res.text.length).toBeLessThan(2000);
  });

  it.each([
    ['17 metadata entries', { metadata: metadata(17) }, 'metadata'],
    ['rpm as null-ish string', { rpm: 'null' }, 'rpm'],
    ['disabled as 1', { disabled: 1 }, 'disabled'],
    ['an unknown nested field', { metadata: { ok: 'v' }, extra: { deep: true } }, 'extra'],
  ])('PATCH with %s is a 400 naming it', async (_label, body, param) => {
    assertEnvelope(await admin.request('PATCH', `/keys/${keyId}`, body), { status: 400, param });
  });
});

describe('bodies that are not JSON objects', () => {
  it.each([
    ['__proto__ as a metadata key', '{"name":"x","metadata":{"__proto__":"y"}}'],
    ['__proto__ at the top', '{"name":"x","__proto__":{"rpm":1}}'],
    ['constructor.prototype', '{"name":"x","constructor":{"prototype":{"rpm":1}}}'],
    ['a JSON array', '[{"name":"x"}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"name"'],
    ['broken JSON', '{"name":'],
  ])('%s is a 400 invalid_json', async (_label, raw) => {
    assertEnvelope(await admin.request('POST', '/keys', raw), { status: 400, code: 'invalid_json' });
  });

  it('a body of another type is a 415, multipart included', async () => {
    for (const contentType of ['text/plain', 'multipart/form-data; boundary=x']) {
      const res = await call(reelay, 'POST', '/admin/v1/keys', {
        key: ADMIN_KEY,
        headers: { 'content-type': contentType },
        body: contentType.startsWith('multipart') ? '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--\r\n' : 'name=x',
      });
      assertEnvelope(res, { status: 415, code: 'unsupported_media_type' });
    }
  });

  it('PATCH with no body is a 400', async () => {
    assertEnvelope(await admin.request('PATCH', `/keys/${keyId}`), { status: 400, code: 'invalid_json' });
  });
});

describe('hostile ids and cursors', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'key_', `key_${'A'.repeat(25)}`, '..%2F..%2Fetc', '%00'])('/keys/%s is a 404', async (id) => {
    for (const [method, suffix, body] of [['GET', ''], ['PATCH', '', { rpm: 1 }], ['POST', '/rotate', {}], ['DELETE', '']] as const) {
      assertEnvelope(await admin.request(method, `/keys/${id}${suffix}`, body), { status: 404, code: 'key_not_found' });
    }
  });

  it('an id over 100 characters is a 414', async () => {
    assertEnvelope(await admin.request('GET', `/keys/key_${'a'.repeat(120)}`), { status: 414, code: 'uri_too_long' });
  });

  it.each(['after=__proto__', 'after=constructor', `after=${'x'.repeat(500)}`, 'limit=1e1', 'limit=%2B5', 'limit=5.0'])('GET /keys?%s is a 400', async (query) => {
    assertEnvelope(await admin.request('GET', `/keys?${query}`), { status: 400 });
  });

  it.each(['after=__proto__', 'after=1-2-3', 'after=99999999999999999999999-0', 'limit=0'])('GET /audit?%s is a 400', async (query) => {
    assertEnvelope(await admin.request('GET', `/audit?${query}`), { status: 400 });
  });

  it('a repeated query parameter is a 400, not last-one-wins', async () => {
    assertEnvelope(await admin.request('GET', '/keys?limit=5&limit=6'), { status: 400, param: 'limit' });
  });
});

it('leaves every prototype as it was, and the target key untouched', async () => {
  expect(restorePrototypes(prototypes)).toEqual([]);
  expect((await admin.request('GET', `/keys/${keyId}`)).json).toMatchObject({ name: 'target', metadata: null, rpm: null });
});
