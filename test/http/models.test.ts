import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_CREATED } from '../../src/openai/models.js';
import { ADMIN_KEY, adminBlock, adminClient } from '../admin/support.js';
import { sandboxYaml, startReelay, TEST_KEY, OTHER_KEY, type RunningReelay } from '../helpers/reelay.js';
import { assertEnvelope, assertOk, assertPrototypesClean, call, snapshotPrototypes } from '../hostile/support.js';

/**
 * GET /v1/models and /v1/models/{id}: what each key may use, in OpenAI's
 * shape, through the official SDK; everything else a 4xx envelope.
 */

const CAROL_KEY = 'sk-test-carol-5555555555';
/** Config order; `constructor` is a real alias here, so own-property lookups are what is tested. */
const ALIASES = ['sora-2', 'sandbox-video', 'constructor'];

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;

beforeAll(async () => {
  const yaml = sandboxYaml({
    keys: [
      `  - name: alice\n    key: ${TEST_KEY}`,
      `  - name: bob\n    key: ${OTHER_KEY}\n    models: [sandbox-video]`,
      `  - name: carol\n    key: ${CAROL_KEY}\n    models: [constructor]`,
    ].join('\n'),
    models: ALIASES.map((a) => `  ${a}:\n    - provider: sandbox`).join('\n'),
  });
  reelay = await startReelay({ yaml: `${yaml}${adminBlock()}` });
});
afterAll(() => reelay?.close());
afterEach(() => assertPrototypesClean(prototypes));

const ids = (page: { data: { id: string }[] }) => page.data.map((m) => m.id);

describe('GET /v1/models through the SDK', () => {
  it('lists every alias, in config order, for a key without an allow-list', async () => {
    const page = await reelay.client(TEST_KEY).models.list();
    expect(ids(page)).toEqual(ALIASES);
    for (const m of page.data) expect(m).toEqual({ id: m.id, object: 'model', created: MODEL_CREATED, owned_by: 'reelay' });
  });

  it('lists only the allowed alias for a restricted key', async () => {
    expect(ids(await reelay.client(OTHER_KEY).models.list())).toEqual(['sandbox-video']);
    expect(ids(await reelay.client(CAROL_KEY).models.list())).toEqual(['constructor']);
  });

  it('answers the list envelope with exactly object and data', async () => {
    const body = assertOk(await call(reelay, 'GET', '/v1/models'));
    expect(Object.keys(body).sort()).toEqual(['data', 'object']);
    expect(body.object).toBe('list');
  });

  it('follows a key made through the admin API, and a change to its allow-list', async () => {
    const admin = adminClient(reelay, ADMIN_KEY);
    const created = await admin.request('POST', '/keys', { name: 'dave', models: ['sora-2'] });
    expect(created.status).toBe(201);
    const client = reelay.client(created.json.secret as string);
    expect(ids(await client.models.list())).toEqual(['sora-2']);
    expect((await admin.request('PATCH', `/keys/${created.json.id as string}`, { models: null })).status).toBe(200);
    // The key cache may serve the old settings for a moment; the change lands without a restart.
    await expect.poll(async () => ids(await client.models.list()), { timeout: 5000 }).toEqual(ALIASES);
  });
});

describe('GET /v1/models/{id} through the SDK', () => {
  it('retrieves an alias the key may use', async () => {
    expect(await reelay.client(TEST_KEY).models.retrieve('sora-2')).toEqual({ id: 'sora-2', object: 'model', created: MODEL_CREATED, owned_by: 'reelay' });
    expect((await reelay.client(CAROL_KEY).models.retrieve('constructor')).id).toBe('constructor');
  });

  it('is NotFoundError model_not_found for an alias the key may not use, exactly like an unknown one', async () => {
    const forbidden = await reelay.client(OTHER_KEY).models.retrieve('sora-2').catch((e: unknown) => e);
    const unknown = await reelay.client(OTHER_KEY).models.retrieve('sora-3').catch((e: unknown) => e);
    for (const err of [forbidden, unknown]) {
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('model');
    }
    expect((forbidden as Error).message.replace('sora-2', 'X')).toBe((unknown as Error).message.replace('sora-3', 'X'));
  });

  it.each(['__proto__', 'hasOwnProperty', 'toString', 'valueOf', 'prototype'])('%s is an unknown model (NotFoundError), never a 500', async (id) => {
    await expect(reelay.client(TEST_KEY).models.retrieve(id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('hostile ids', () => {
  const notFound = { status: 404, code: 'model_not_found', param: 'model' };

  it.each([
    ['__proto__', notFound],
    ['constructor', notFound], // bob may not use it, though it exists
    ['hasOwnProperty', notFound],
    ['%00', notFound],
    ['..%2F', notFound],
    ['..%2F..%2Fadmin%2Fv1%2Fkeys', notFound],
    ['sora-2%2F', notFound],
    ['%20sandbox-video', notFound],
    ['sandbox-video%00', notFound],
    ['%F0%9F%8E%AC', notFound],
    ['x'.repeat(200), { status: 414, code: 'uri_too_long' }],
    ['%', { status: 400, code: 'invalid_url' }],
    ['%E0%A4%A', { status: 400, code: 'invalid_url' }],
  ] as const)('GET /v1/models/%s is a 4xx envelope', async (id, want) => {
    const res = await call(reelay, 'GET', `/v1/models/${id}`, { key: OTHER_KEY });
    assertEnvelope(res, want);
    // A 414 never echoes the id; nothing echoes more than 100 characters of it.
    expect(res.text).not.toContain('x'.repeat(101));
  });

  it('a percent-encoded alias is the alias', async () => {
    expect(assertOk(await call(reelay, 'GET', '/v1/models/sandbox%2Dvideo', { key: OTHER_KEY })).id).toBe('sandbox-video');
  });

  it('/v1/models/ (an empty id) is a 404 envelope', async () => {
    assertEnvelope(await call(reelay, 'GET', '/v1/models/', { key: OTHER_KEY }), { status: 404 });
  });

  it('a query string changes nothing', async () => {
    expect(ids(assertOk(await call(reelay, 'GET', '/v1/models?__proto__[x]=1&limit=0x10', { key: OTHER_KEY })) as never)).toEqual(['sandbox-video']);
  });

  it('other methods are 405 with Allow', async () => {
    const res = await call(reelay, 'POST', '/v1/models', { key: OTHER_KEY });
    assertEnvelope(res, { status: 405, code: 'method_not_allowed' });
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('authentication', () => {
  it.each(['/v1/models', '/v1/models/sora-2', '/v1/models/__proto__'])('%s without a key is 401 missing_api_key', async (path) => {
    assertEnvelope(await call(reelay, 'GET', path, { key: null }), { status: 401, type: 'authentication_error', code: 'missing_api_key' });
  });

  it('an unknown key, or the admin key, is 401 invalid_api_key', async () => {
    for (const key of ['sk-nobody-0000000000', ADMIN_KEY]) {
      assertEnvelope(await call(reelay, 'GET', '/v1/models', { key }), { status: 401, type: 'authentication_error', code: 'invalid_api_key' });
    }
  });

  it('the SDK without a valid key gets AuthenticationError', async () => {
    await expect(reelay.client('sk-nobody-0000000000').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
