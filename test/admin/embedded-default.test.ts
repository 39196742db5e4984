import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildDist, runMain, type ReelayProcess } from '../helpers/process.js';

/** `node dist/main.js` on the embedded default config: the admin API a newcomer can try right after `npm start`. */

const running: ReelayProcess[] = [];
beforeAll(() => buildDist(), 120_000);
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

async function start(env: Record<string, string>): Promise<{ p: ReelayProcess; origin: string }> {
  const p = runMain({ REELAY_PORT: '0', ...env });
  running.push(p);
  const line = await p.waitForLine(/Reelay listening on/);
  // The banner is one write to stderr, its own pipe: it can arrive after the stdout line.
  await p.waitForStderr(/ {2}try: curl [^\n]*\n/);
  const port = new URL(/listening on (http:\/\/\S+)\/v1/.exec(line)![1]!).port;
  return { p, origin: `http://127.0.0.1:${port}` };
}

const listKeys = (origin: string, key: string) => fetch(`${origin}/admin/v1/keys`, { headers: { authorization: `Bearer ${key}` } });

it('serves the admin API on loopback with the public default admin key, named in the banner, and warns that memory forgets', async () => {
  const { p, origin } = await start({});
  expect(p.stderr.join('')).toContain(`  admin: ${origin}/admin/v1, key: admin (sk-reelay-admin-dev, the embedded development admin key)`);
  const res = await listKeys(origin, 'sk-reelay-admin-dev');
  expect(res.status).toBe(200);
  expect(((await res.json()) as { data: Array<{ name: string; source: string }> }).data).toEqual([expect.objectContaining({ name: 'dev', source: 'config' })]);
  expect(p.stdout.join('\n')).toContain('lost on restart');
});

it('keeps the admin API off beyond loopback while its key is the public default, and says why', async () => {
  const { p, origin } = await start({ REELAY_HOST: '0.0.0.0' });
  await p.waitForLine(/the admin API is off/);
  expect((await listKeys(origin, 'sk-reelay-admin-dev')).status).toBe(404);
  expect(p.stderr.join('')).not.toContain('admin:');
});

it('serves it beyond loopback with an admin key of your own, which it never prints', async () => {
  const secret = 'sk-my-own-admin-key-0123456789';
  const { p, origin } = await start({ REELAY_HOST: '0.0.0.0', REELAY_ADMIN_KEY: secret });
  expect((await listKeys(origin, secret)).status).toBe(200);
  expect(p.stderr.join('')).toContain('key: admin (its secret goes in REELAY_ADMIN_KEY)');
  expect([...p.stdout, ...p.stderr].join('\n')).not.toContain(secret);
});
