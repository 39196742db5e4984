import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageListSchema } from '../../src/admin/usage-routes.js';
import { AdminVideoListSchema } from '../../src/admin/videos-routes.js';
import { configKeyId } from '../../src/keys/ids.js';
import { ErrorEnvelopeSchema } from '../../src/openai/videos.js';
import { eventually, OTHER_KEY, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { adminClient, adminYaml, type AdminClient } from './support.js';

/**
 * GET /admin/v1/usage and GET /admin/v1/videos after real jobs: a config key
 * (alice) and a key made through the API, completed and failed jobs, priced.
 */

let reelay: RunningReelay;
let admin: AdminClient;
let apiKey: { id: string; secret: string };
const ids: { done: string; failed: string; bobs: string; api: string } = { done: '', failed: '', bobs: '', api: '' };
const alice = configKeyId('alice');
const today = new Date().toISOString().slice(0, 10);

async function finished(key: string, id: string) {
  const client = reelay.client(key);
  return eventually(async () => {
    const v = await client.videos.retrieve(id);
    return v.status === 'completed' || v.status === 'failed' ? v : undefined;
  });
}

beforeAll(async () => {
  reelay = await startReelay({
    yaml: `${adminYaml({ generationSeconds: 0.1 })}pricing:\n  sora-2:\n    usd_per_second: 0.05\n`,
  });
  admin = adminClient(reelay);
  apiKey = (await admin.request('POST', '/keys', { name: 'render-farm' })).json as { id: string; secret: string };
  const a = reelay.client(TEST_KEY);
  ids.done = (await a.videos.create({ prompt: 'done', seconds: '8' })).id;
  ids.failed = (await a.videos.create({ prompt: 'this one will [fail]', seconds: '4' })).id;
  ids.bobs = (await reelay.client(OTHER_KEY).videos.create({ prompt: 'bob', model: 'sandbox-video' })).id;
  ids.api = (await reelay.client(apiKey.secret).videos.create({ prompt: 'api key', seconds: '12' })).id;
  await finished(TEST_KEY, ids.done);
  await finished(TEST_KEY, ids.failed);
  await finished(OTHER_KEY, ids.bobs);
  await finished(apiKey.secret, ids.api);
});
afterAll(() => reelay?.close());

describe('GET /admin/v1/usage', () => {
  it('groups by day, key and model by default, with every figure', async () => {
    const res = await admin.request('GET', '/usage');
    expect(res.status).toBe(200);
    const body = UsageListSchema.parse(res.json);
    const mine = body.data.find((r) => r.key_id === alice && r.model === 'sora-2');
    expect(mine).toEqual({
      day: today,
      key_id: alice,
      model: 'sora-2',
      jobs_created: 2,
      jobs_completed: 1,
      jobs_failed: 1,
      seconds_reserved: 0,
      seconds_settled: 8,
      seconds_released: 4,
      usd: 0.4,
    });
    expect(body.data.find((r) => r.key_id === apiKey.id)).toMatchObject({ jobs_completed: 1, seconds_settled: 12, usd: 0.6 });
    expect(body.data.find((r) => r.model === 'sandbox-video')).toMatchObject({ key_id: configKeyId('bob'), jobs_created: 1, usd: 0 });
  });

  it('filters by key and model and folds groups away', async () => {
    const byKey = UsageListSchema.parse((await admin.request('GET', `/usage?key=${apiKey.id}&group_by=key`)).json);
    expect(byKey.data).toEqual([expect.objectContaining({ key_id: apiKey.id, jobs_created: 1 })]);
    expect(byKey.data[0]).not.toHaveProperty('day');
    const totals = UsageListSchema.parse((await admin.request('GET', '/usage?group_by=')).json);
    expect(totals.data).toEqual([expect.objectContaining({ jobs_created: 4, jobs_completed: 3, jobs_failed: 1, seconds_settled: 24 })]);
    const byModel = UsageListSchema.parse((await admin.request('GET', '/usage?model=sandbox-video&group_by=model')).json);
    expect(byModel.data).toEqual([expect.objectContaining({ model: 'sandbox-video', jobs_created: 1 })]);
    expect(UsageListSchema.parse((await admin.request('GET', `/usage?from=2020-01-01&to=2020-01-31`)).json).data).toEqual([]);
  });

  it.each([
    ['from=2026-13-01', 'from'],
    ['to=yesterday', 'to'],
    ['from=2026-02-30', 'from'],
    ['from=2026-12-02&to=2026-12-01', 'from'],
    ['from=2020-01-01&to=2026-01-01', 'from'],
    ['group_by=day,owner', 'group_by'],
    ['group_by=__proto__', 'group_by'],
  ])('refuses %s with a 400 naming %s', async (query, param) => {
    const res = await admin.request('GET', `/usage?${query}`);
    expect(res.status).toBe(400);
    expect(ErrorEnvelopeSchema.parse(res.json).error.param).toBe(param);
  });
});

describe('GET /admin/v1/videos', () => {
  it("lists any key's videos with the provider and upstream id, which /v1 never shows", async () => {
    const res = await admin.request('GET', `/videos?key=${alice}`);
    const page = AdminVideoListSchema.parse(res.json);
    expect(page.data.map((v) => v.id)).toEqual([ids.failed, ids.done]);
    expect(page.data[0]).toMatchObject({ key_id: alice, provider: 'sandbox', status: 'failed', upstream_id: expect.any(String) });
    const asClient = await reelay.client(TEST_KEY).videos.retrieve(ids.done);
    expect(asClient).not.toHaveProperty('provider');
    expect(asClient).not.toHaveProperty('upstream_id');
  });

  it('filters by status, pages with after, and finds one video by id whoever owns it', async () => {
    expect(AdminVideoListSchema.parse((await admin.request('GET', `/videos?key=${alice}&status=completed`)).json).data.map((v) => v.id)).toEqual([ids.done]);
    const first = AdminVideoListSchema.parse((await admin.request('GET', `/videos?key=${alice}&limit=1`)).json);
    expect(first).toMatchObject({ has_more: true, last_id: ids.failed });
    const next = AdminVideoListSchema.parse((await admin.request('GET', `/videos?key=${alice}&limit=1&after=${first.last_id}`)).json);
    expect(next.data.map((v) => v.id)).toEqual([ids.done]);
    const one = AdminVideoListSchema.parse((await admin.request('GET', `/videos?id=${ids.api}`)).json);
    expect(one.data).toEqual([expect.objectContaining({ id: ids.api, key_id: apiKey.id, estimated_usd: 0.6 })]);
    expect(AdminVideoListSchema.parse((await admin.request('GET', '/videos?id=constructor')).json).data).toEqual([]);
  });

  it.each([
    ['', 'key'],
    ['key=x&status=done', 'status'],
    ['key=x&after=constructor', 'after'],
    ['key=x&limit=0x10', 'limit'],
  ])('refuses ?%s with a 400 naming %s', async (query, param) => {
    const res = await admin.request('GET', `/videos?${query}`);
    expect(res.status).toBe(400);
    expect(ErrorEnvelopeSchema.parse(res.json).error.param).toBe(param);
  });

  it('is for admins only: a client key gets 401', async () => {
    expect((await admin.request('GET', `/videos?key=${alice}`, undefined, TEST_KEY)).status).toBe(401);
  });
});
