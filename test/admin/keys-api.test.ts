import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditListSchema,
  GatewayKeyDeletedSchema,
  GatewayKeyListSchema,
  GatewayKeySchema,
  GatewayKeyWithSecretSchema,
} from '../../src/admin/schemas.js';
import { configKeyId, redactSecret } from '../../src/keys/ids.js';
import { assertEnvelope } from '../hostile/support.js';
import { manualClock } from '../helpers/manual-clock.js';
import { startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { adminClient, adminYaml, type AdminClient } from './support.js';

const clock = manualClock();
const nowS = () => Math.floor(clock.now() / 1000);
const DIGEST_ONLY = 'c'.repeat(64);
let reelay: RunningReelay;
let admin: AdminClient;

beforeAll(async () => {
  const keys = `  - name: alice\n    key: ${TEST_KEY}\n    rpm: 5\n    models: [sora-2]\n  - name: hashed\n    sha256: "${DIGEST_ONLY}"`;
  reelay = await startReelay({ yaml: adminYaml({ keys }), clock });
  admin = adminClient(reelay);
});
afterAll(() => reelay?.close());

const create = async (body: Record<string, unknown>) => {
  const res = await admin.request('POST', '/keys', body);
  expect(res.status, res.text).toBe(201);
  return GatewayKeyWithSecretSchema.parse(res.json);
};

describe('POST /admin/v1/keys', () => {
  it('creates a key and shows its secret once: every field present, absent ones null, poll_rpm 600', async () => {
    const key = await create({ name: 'ci-bot' });
    expect(key).toEqual({
      object: 'gateway.key',
      id: expect.stringMatching(/^key_[0-9A-Za-z]{24}$/),
      name: 'ci-bot',
      secret: expect.stringMatching(/^sk-rly-[0-9A-Za-z]{43}$/),
      redacted: `sk-rly-…${key.secret.slice(-4)}`,
      source: 'api',
      disabled: false,
      created_at: nowS(),
      last_used_at: null,
      models: null,
      rpm: null,
      poll_rpm: 600,
      max_concurrent: null,
      seconds_per_day: null,
      seconds_per_month: null,
      usd_per_month: null,
      expires_at: null,
      metadata: null,
      webhook_url: null,
      previous_secret_expires_at: null,
    });
    const shown = await admin.request('GET', `/keys/${key.id}`);
    expect(GatewayKeySchema.parse(shown.json)).toEqual(Object.fromEntries(Object.entries(key).filter(([k]) => k !== 'secret')));
  });

  it('takes every setting', async () => {
    const body = {
      name: 'full',
      models: ['sandbox-video'],
      rpm: 10,
      poll_rpm: 50,
      max_concurrent: 2,
      seconds_per_day: 120,
      seconds_per_month: 3000,
      usd_per_month: 12.5,
      expires_at: nowS() + 3600,
      metadata: { team: 'growth', owner: 'ünï' },
      webhook_url: 'https://hooks.example.com/reelay',
    };
    expect(await create(body)).toMatchObject({ ...body, source: 'api', disabled: false });
  });

  it.each([
    ['an expires_at in the past', { name: 'x', expires_at: 1 }, 'expires_at', 'invalid_value'],
    ['an expires_at of now', { name: 'x', expires_at: Math.floor(Date.UTC(2026, 10, 1, 12) / 1000) }, 'expires_at', 'invalid_value'],
    ['an unknown model alias', { name: 'x', models: ['sora-2', 'nope'] }, 'models', 'model_not_found'],
    ['an unknown field', { name: 'x', rpmm: 5 }, 'rpmm', 'unknown_parameter'],
    ['a secret in the body', { name: 'x', secret: 'sk-rly-mine' }, 'secret', 'unknown_parameter'],
    ['no name', { rpm: 5 }, 'name', 'missing_required_parameter'],
    ['a blank name', { name: '  ' }, 'name', 'invalid_value'],
    ['rpm as a string', { name: 'x', rpm: '5' }, 'rpm', 'invalid_type'],
    ['rpm 0', { name: 'x', rpm: 0 }, 'rpm', 'invalid_value'],
    ['a fractional max_concurrent', { name: 'x', max_concurrent: 1.5 }, 'max_concurrent', 'invalid_type'],
    ['a negative usd_per_month', { name: 'x', usd_per_month: -1 }, 'usd_per_month', 'invalid_value'],
    ['a webhook_url that is not http(s)', { name: 'x', webhook_url: 'ftp://example.com/x' }, 'webhook_url', 'invalid_value'],
  ])('refuses %s with a 400 naming the field', async (_label, body, param, code) => {
    assertEnvelope(await admin.request('POST', '/keys', body), { status: 400, param, code });
  });

  it('keeps names unique, config key names included (409)', async () => {
    await create({ name: 'taken' });
    for (const name of ['taken', 'alice']) {
      assertEnvelope(await admin.request('POST', '/keys', { name }), { status: 409, type: 'invalid_request_error', code: 'key_name_taken', param: 'name' });
    }
  });
});

describe('config keys', () => {
  it('are listed first, with source "config", a derived id and no created_at; a digest-only key has no redacted form', async () => {
    const page = GatewayKeyListSchema.parse((await admin.request('GET', '/keys?limit=2')).json);
    expect(page.data).toEqual([
      expect.objectContaining({ id: configKeyId('alice'), name: 'alice', source: 'config', redacted: redactSecret(TEST_KEY), rpm: 5, models: ['sora-2'], poll_rpm: 600, created_at: null }),
      expect.objectContaining({ id: configKeyId('hashed'), name: 'hashed', source: 'config', redacted: null }),
    ]);
    expect(page).toMatchObject({ first_id: configKeyId('alice'), last_id: configKeyId('hashed'), has_more: true });
  });

  it('record their last use', async () => {
    await reelay.client().videos.list();
    await expect.poll(async () => (await admin.request('GET', `/keys/${configKeyId('alice')}`)).json.last_used_at).toBe(nowS());
  });

  it.each([
    ['PATCH', '', { rpm: 1 }],
    ['POST', '/rotate', {}],
    ['DELETE', '', undefined],
  ])('answer 409 to %s', async (method, suffix, body) => {
    const res = await admin.request(method, `/keys/${configKeyId('alice')}${suffix}`, body);
    assertEnvelope(res, { status: 409, type: 'invalid_request_error', code: 'key_read_only' });
  });
});

describe('PATCH /admin/v1/keys/{id}', () => {
  it('changes the fields given, null clears (poll_rpm back to 600, disabled to false), others stay', async () => {
    const key = await create({ name: 'patchable', rpm: 5, poll_rpm: 10, models: ['sora-2'], metadata: { a: 'b' }, disabled: true });
    const res = await admin.request('PATCH', `/keys/${key.id}`, { name: 'patched', rpm: 7, models: null, poll_rpm: null, disabled: null, seconds_per_day: 60 });
    expect(GatewayKeySchema.parse(res.json)).toMatchObject({ id: key.id, name: 'patched', rpm: 7, models: null, poll_rpm: 600, disabled: false, seconds_per_day: 60, metadata: { a: 'b' } });
    // An expires_at in the past is allowed here: it is how a key is expired now.
    const expired = await admin.request('PATCH', `/keys/${key.id}`, { expires_at: 1 });
    expect(expired.json.expires_at).toBe(1);
  });

  it('answers an empty patch with the key unchanged', async () => {
    const key = await create({ name: 'untouched', rpm: 3 });
    const res = await admin.request('PATCH', `/keys/${key.id}`, {});
    expect(res.json).toMatchObject({ id: key.id, rpm: 3 });
  });

  it.each([
    ['a null name', { name: null }, 'name'],
    ['an unknown field', { owner: 'x' }, 'owner'],
    ['an unknown model alias', { models: ['constructor'] }, 'models'],
  ])('refuses %s', async (_label, body, param) => {
    const key = await create({ name: `refuse-${param}-${Math.random()}` });
    assertEnvelope(await admin.request('PATCH', `/keys/${key.id}`, body), { status: 400, param });
  });

  it('refuses a rename to a taken name with 409', async () => {
    const [one] = [await create({ name: 'one' }), await create({ name: 'two' })];
    assertEnvelope(await admin.request('PATCH', `/keys/${one.id}`, { name: 'two' }), { status: 409, code: 'key_name_taken' });
    assertEnvelope(await admin.request('PATCH', `/keys/${one.id}`, { name: 'alice' }), { status: 409 });
  });
});

describe('rotate', () => {
  it('answers the key, its new secret and when the old one stops (default grace 86400 s)', async () => {
    const key = await create({ name: 'rotating' });
    const res = await admin.request('POST', `/keys/${key.id}/rotate`);
    const rotated = GatewayKeyWithSecretSchema.parse(res.json);
    expect(rotated.secret).not.toBe(key.secret);
    expect(rotated).toMatchObject({ id: key.id, redacted: `sk-rly-…${rotated.secret.slice(-4)}`, previous_secret_expires_at: nowS() + 86_400 });
    expect((await admin.request('GET', `/keys/${key.id}`)).json.previous_secret_expires_at).toBe(nowS() + 86_400);
    const now = await admin.request('POST', `/keys/${key.id}/rotate`, { grace_seconds: 0 });
    expect(now.json.previous_secret_expires_at).toBe(nowS());
    expect((await admin.request('GET', `/keys/${key.id}`)).json.previous_secret_expires_at).toBeNull();
  });

  it.each([[{ grace_seconds: -1 }], [{ grace_seconds: 30 * 86_400 + 1 }], [{ grace_seconds: '60' }], [{ grace: 60 }]])('refuses %j', async (body) => {
    const key = await create({ name: `bad-grace-${Math.random()}` });
    assertEnvelope(await admin.request('POST', `/keys/${key.id}/rotate`, body), { status: 400 });
  });
});

describe('DELETE and unknown ids', () => {
  it('revokes a key: its answer, then 404 for it everywhere', async () => {
    const key = await create({ name: 'revocable' });
    const res = await admin.request('DELETE', `/keys/${key.id}`);
    expect(GatewayKeyDeletedSchema.parse(res.json)).toEqual({ id: key.id, object: 'gateway.key.deleted', deleted: true });
    for (const [method, suffix, body] of [['GET', ''], ['PATCH', '', { rpm: 1 }], ['POST', '/rotate', {}], ['DELETE', '']] as const) {
      assertEnvelope(await admin.request(method, `/keys/${key.id}${suffix}`, body), { status: 404, code: 'key_not_found' });
    }
  });

  it.each(['key_000000000000000000000000', 'nope', '__proto__', 'constructor', 'key_%F0%9F%8E%AC'])('answers 404 for id %s', async (id) => {
    assertEnvelope(await admin.request('GET', `/keys/${id}`), { status: 404, code: 'key_not_found' });
  });
});

describe('GET /admin/v1/keys', () => {
  it('pages through config keys, then stored keys in creation order, each exactly once', async () => {
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await create({ name: `paged-${i}` });
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res = await admin.request('GET', `/keys?limit=3${after ? `&after=${after}` : ''}`);
      const page = GatewayKeyListSchema.parse(res.json);
      seen.push(...page.data.map((k) => k.name));
      expect(page.data.every((k) => !('secret' in k))).toBe(true);
      if (!page.has_more) break;
      after = page.last_id;
    }
    expect(seen.slice(0, 2)).toEqual(['alice', 'hashed']);
    expect(seen.slice(-3)).toEqual(['paged-0', 'paged-1', 'paged-2']);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it.each(['limit=0', 'limit=101', 'limit=0x10', 'after=key_000000000000000000000000', 'after=__proto__'])('refuses %s with 400', async (query) => {
    assertEnvelope(await admin.request('GET', `/keys?${query}`), { status: 400, param: query.split('=')[0] });
  });
});

describe('GET /admin/v1/audit', () => {
  it('lists every admin action newest first, with actor, address and request id, and pages with after', async () => {
    const key = await create({ name: 'audited', rpm: 2 });
    const patched = await admin.request('PATCH', `/keys/${key.id}`, { rpm: 3, metadata: null });
    await admin.request('POST', `/keys/${key.id}/rotate`, { grace_seconds: 60 });
    const revoked = await admin.request('DELETE', `/keys/${key.id}`);
    const page = AuditListSchema.parse((await admin.request('GET', '/audit?limit=4')).json);
    expect(page.has_more).toBe(true);
    expect(page.data.map((e) => e.action)).toEqual(['key.revoke', 'key.rotate', 'key.update', 'key.create']);
    expect(page.data.every((e) => e.key_id === key.id && e.actor === 'root' && e.client_ip === '127.0.0.1' && e.at === nowS())).toBe(true);
    expect(page.data[0]!.request_id).toBe(revoked.headers['x-request-id']);
    expect(page.data[2]).toMatchObject({ request_id: patched.headers['x-request-id'], changes: { rpm: 3, metadata: null } });
    expect(page.data[1]!.changes).toEqual({ redacted: expect.stringMatching(/^sk-rly-…/), previous_secret_expires_at: nowS() + 60 });
    expect(page.data[3]!.changes).toEqual({ name: 'audited', rpm: 2, poll_rpm: 600 });
    const next = AuditListSchema.parse((await admin.request('GET', `/audit?limit=100&after=${page.data[3]!.id}`)).json);
    expect(next.data.map((e) => e.id)).not.toContain(page.data[3]!.id);
    expect(next.data.length).toBeGreaterThan(0);
  });

  it.each(['after=nope', 'after=__proto__', 'limit=-1'])('refuses %s with 400', async (query) => {
    assertEnvelope(await admin.request('GET', `/audit?${query}`), { status: 400 });
  });
});
