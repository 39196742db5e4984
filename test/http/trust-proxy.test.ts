import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../hostile/support.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { ADMIN_KEY, adminYaml } from '../admin/support.js';

/** server.trust_proxy: the client address (audit, limits, logs) comes from X-Forwarded-For only from a trusted proxy. */

let reelay: RunningReelay | undefined;
afterEach(() => reelay?.close());

async function auditedAddress(trust: string | undefined): Promise<unknown> {
  const yaml = adminYaml() + (trust === undefined ? '' : `server:\n  trust_proxy: "${trust}"\n`);
  reelay = await startReelay({ yaml });
  const headers = { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' };
  expect((await call(reelay, 'POST', '/admin/v1/keys', { key: ADMIN_KEY, headers, body: JSON.stringify({ name: 'proxied' }) })).status).toBe(201);
  const audit = JSON.parse((await call(reelay, 'GET', '/admin/v1/audit', { key: ADMIN_KEY })).text) as { data: Array<{ client_ip: string }> };
  return audit.data[0]?.client_ip;
}

describe('server.trust_proxy', () => {
  it('ignores X-Forwarded-For by default: the socket address is the client', async () => {
    expect(await auditedAddress(undefined)).toBe('127.0.0.1');
  });

  it('takes the forwarded address from a trusted proxy', async () => {
    expect(await auditedAddress('127.0.0.1')).toBe('203.0.113.7');
  });

  it('ignores it from a proxy that is not on the list', async () => {
    expect(await auditedAddress('10.0.0.1')).toBe('127.0.0.1');
  });
});
