import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReelay } from '../helpers/reelay.js';
import {
  assertEnvelope,
  assertOk,
  assertPrototypesClean,
  assertStillServing,
  call,
  postJson,
  postMultipart,
  snapshotPrototypes,
  startHostile,
  waitCompleted,
} from './support.js';

/** Spec C: inherited property names wherever client input becomes a lookup key. */

const prototypes = snapshotPrototypes();
let reelay: RunningReelay;
let completedId: string;

beforeAll(async () => {
  reelay = await startHostile();
  const client = reelay.client();
  completedId = (await waitCompleted(client, (await client.videos.create({ prompt: 'lookup source' })).id)).id;
});
afterAll(() => reelay?.close());
afterEach(() => assertPrototypesClean(prototypes));

const INHERITED_MODELS = ['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf', 'prototype', 'isPrototypeOf'];

describe('C1 model names that are Object.prototype members are 400 model_not_found', () => {
  it.each(INHERITED_MODELS)('JSON model=%s', async (model) => {
    assertEnvelope(await postJson(reelay, '/v1/videos', { prompt: 'p', model }), { status: 400, code: 'model_not_found', param: 'model' });
  });

  it.each(INHERITED_MODELS)('multipart model=%s', async (model) => {
    const res = await postMultipart(reelay, '/v1/videos', [
      { name: 'prompt', value: 'p' },
      { name: 'model', value: model },
    ]);
    assertEnvelope(res, { status: 400, code: 'model_not_found', param: 'model' });
  });
});

describe('C2 query values that are Object.prototype members are 400 naming the param', () => {
  it.each([['constructor'], ['__proto__'], ['toString']])('content variant=%s', async (variant) => {
    const res = await call(reelay, 'GET', `/v1/videos/${completedId}/content?variant=${variant}`);
    assertEnvelope(res, { status: 400, param: 'variant' });
  });

  it.each([['constructor'], ['__proto__']])('list order=%s', async (order) => {
    assertEnvelope(await call(reelay, 'GET', `/v1/videos?order=${order}`), { status: 400, param: 'order' });
  });

  it('list limit=__proto__', async () => {
    assertEnvelope(await call(reelay, 'GET', '/v1/videos?limit=__proto__'), { status: 400, param: 'limit' });
  });

  it.each([['__proto__'], ['constructor']])('list after=%s is a normal page, never 500', async (after) => {
    const page = assertOk(await call(reelay, 'GET', `/v1/videos?after=${after}`));
    expect(page.object).toBe('list');
    expect(Array.isArray(page.data)).toBe(true);
  });
});

describe('C3 video ids that are Object.prototype members are 404 video_not_found', () => {
  it.each<[string, string, unknown?]>([
    ['GET', '/v1/videos/constructor'],
    ['GET', '/v1/videos/__proto__'],
    ['GET', '/v1/videos/hasOwnProperty'],
    ['GET', '/v1/videos/toString/content'],
    ['POST', '/v1/videos/constructor/remix', { prompt: 'p' }],
    ['DELETE', '/v1/videos/valueOf'],
  ])('%s %s', async (method, path, body) => {
    const res = body === undefined ? await call(reelay, method, path) : await postJson(reelay, path, body);
    assertEnvelope(res, { status: 404, code: 'video_not_found', param: 'video_id' });
  });
});

describe('C4 gateway keys that are Object.prototype members are 401', () => {
  it.each([['__proto__'], ['constructor'], ['hasOwnProperty']])('Bearer %s', async (key) => {
    assertEnvelope(await call(reelay, 'GET', '/v1/videos', { key }), { status: 401, code: 'invalid_api_key', type: 'authentication_error' });
  });
});

describe('after the lookup corpus', () => {
  it('is still alive and answering, prototypes untouched', async () => {
    await assertStillServing(reelay, prototypes);
  });
});
