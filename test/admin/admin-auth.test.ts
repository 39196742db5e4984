import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { adminApiEnabled, EMBEDDED_ADMIN_KEY, startupBanner } from '../../src/startup-banner.js';
import { assertEnvelope } from '../hostile/support.js';
import { manualClock } from '../helpers/manual-clock.js';
import { sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { ADMIN_KEY, adminClient, adminYaml, type AdminClient } from './support.js';

const clock = manualClock();
let reelay: RunningReelay;
let admin: AdminClient;

beforeAll(async () => {
  reelay = await startReelay({ yaml: adminYaml(), clock });
  admin = adminClient(reelay);
});
afterAll(() => reelay?.close());
// Each test starts with a clean failure record: the window is a minute of the injected clock.
beforeEach(() => clock.advance(61_000));

describe('admin authentication', () => {
  it.each([
    ['no Authorization header', null, 'missing_api_key'],
    ['a wrong admin key', 'sk-admin-wrong-0000000000', 'invalid_api_key'],
    ['a client key', TEST_KEY, 'invalid_api_key'],
    ['a malformed header value', 'two words', 'invalid_api_key'],
  ])('refuses %s with 401', async (_label, key, code) => {
    assertEnvelope(await admin.request('GET', '/keys', undefined, key), { status: 401, code });
  });

  it('lets the admin key in, and never onto /v1', async () => {
    expect((await admin.request('GET', '/keys')).status).toBe(200);
    const err = await reelay.client(ADMIN_KEY).videos.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('answers 429 to an address after 10 failures in a minute, a correct key included, until the window passes', async () => {
    for (let i = 0; i < 10; i++) expect((await admin.request('GET', '/keys', undefined, `sk-guess-${i}-000000000000`)).status).toBe(401);
    clock.advance(30_000);
    for (const key of ['sk-guess-10-00000000000', ADMIN_KEY]) {
      const res = await admin.request('GET', '/keys', undefined, key);
      assertEnvelope(res, { status: 429, type: 'rate_limit_error', code: 'too_many_auth_failures' });
      expect(res.headers['retry-after']).toBe('30');
    }
    // /v1 is another door with its own rules.
    expect((await reelay.client().videos.list()).data).toEqual([]);
    clock.advance(30_000);
    expect((await admin.request('GET', '/keys')).status).toBe(200);
  });

  it('does not count successes, nor 429s, as failures', async () => {
    for (let i = 0; i < 9; i++) await admin.request('GET', '/keys', undefined, null);
    for (let i = 0; i < 20; i++) expect((await admin.request('GET', '/keys')).status).toBe(200);
    await admin.request('GET', '/keys', undefined, null);
    for (let i = 0; i < 3; i++) expect((await admin.request('GET', '/keys')).status).toBe(429);
    clock.advance(60_000);
    expect((await admin.request('GET', '/keys')).status).toBe(200);
  });
});

describe('an admin key given as its SHA-256 digest', () => {
  it('lets the secret in, and never the digest itself', async () => {
    const secret = 'sk-admin-digest-only-0123456789';
    const digest = createHash('sha256').update(secret).digest('hex');
    const hashed = await startReelay({ yaml: `${sandboxYaml()}admin:\n  keys:\n    - name: ops\n      sha256: ${digest}\n` });
    try {
      const ops = adminClient(hashed, secret);
      expect((await ops.request('GET', '/keys')).status).toBe(200);
      assertEnvelope(await ops.request('GET', '/keys', undefined, digest), { status: 401, code: 'invalid_api_key' });
      // The audit log names the admin key by its name.
      await ops.request('POST', '/keys', { name: 'made-by-ops' });
      expect((await ops.request('GET', '/audit')).json.data[0]).toMatchObject({ actor: 'ops', action: 'key.create' });
    } finally {
      await hashed.close();
    }
  });
});

describe('when the admin API is on', () => {
  it('logs at start-up that the memory store loses dynamic keys and usage on restart', () => {
    const line = reelay.logs.map((l) => JSON.parse(l) as { msg: string; level: number }).find((l) => l.msg.includes('lost on restart'));
    expect(line).toMatchObject({ level: 'warn', msg: expect.stringContaining('keys made through the admin API, usage and budgets') });
  });
});

describe('when the admin API is off', () => {
  it('has no /admin routes without admin keys', async () => {
    const bare = await startReelay({ yaml: sandboxYaml() });
    try {
      assertEnvelope(await adminClient(bare).request('GET', '/keys'), { status: 404, code: 'unknown_url' });
    } finally {
      await bare.close();
    }
  });

  const config = (host: string, adminKey: string) =>
    parseConfig(`server:\n  host: ${host}\n${sandboxYaml()}admin:\n  keys:\n    - name: admin\n      key: ${adminKey}\n`, {});

  it('stays off beyond loopback while the admin key is the public default, and says so in the banner', () => {
    expect(adminApiEnabled(config('0.0.0.0', EMBEDDED_ADMIN_KEY))).toBe(false);
    expect(startupBanner(config('0.0.0.0', EMBEDDED_ADMIN_KEY), 8080).text).not.toContain('admin');
    expect(adminApiEnabled(config('127.0.0.1', EMBEDDED_ADMIN_KEY))).toBe(true);
    expect(adminApiEnabled(config('0.0.0.0', 'sk-a-private-admin-key-1234'))).toBe(true);
  });

  it('names the admin API in the banner, printing only the public default key', () => {
    expect(startupBanner(config('127.0.0.1', EMBEDDED_ADMIN_KEY), 8080).text).toContain(
      `  admin: http://127.0.0.1:8080/admin/v1, key: admin (${EMBEDDED_ADMIN_KEY}, the embedded development admin key); the CLI takes REELAY_URL=http://127.0.0.1:8080`,
    );
    const text = startupBanner(config('0.0.0.0', 'sk-a-private-admin-key-1234'), 8080).text;
    expect(text).toContain('key: admin (its secret goes in REELAY_ADMIN_KEY)');
    expect(text).not.toContain('sk-a-private-admin-key-1234');
  });
});
