import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, ROOT } from '../helpers/process.js';
import { eventually, sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

/**
 * The `reelay` CLI as people run it: `node dist/cli/main.js …` in a child
 * process against a live Reelay, its table and --json output, its exit codes,
 * and the secrets it prints working (and stopping) on /v1 with the SDK.
 */

const ADMIN_KEY = 'sk-admin-cli-test-0123456789';
const SECRET = /^secret\s+(sk-rly-[0-9A-Za-z]{43})$/m;

const yaml = `admin:
  keys:
    - name: ops
      key: ${ADMIN_KEY}
pricing:
  sora-2:
    usd_per_second: 0.1
${sandboxYaml()}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let reelay: RunningReelay;
/** Every output of every run, for the no-admin-key check at the end. */
const outputs: string[] = [];

function cli(args: string[], env: Record<string, string> = {}, command: string[] = [process.execPath, 'dist/cli/main.js']): Promise<Run> {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', REELAY_URL: reelay.origin, REELAY_ADMIN_KEY: ADMIN_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.once('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Runs and expects exit 0; the parsed stdout with --json. */
async function ok(args: string[]): Promise<Run> {
  const run = await cli(args);
  expect(run.code, `reelay ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience: the shapes are asserted field by field
const json = async (args: string[]): Promise<any> => JSON.parse((await ok([...args, '--json'])).stdout);

const secretOf = (run: Run): string => SECRET.exec(run.stdout)?.[1] ?? '';
const create = (client: OpenAI, model = 'sora-2') => client.videos.create({ prompt: 'a lighthouse at dusk', model, seconds: '4' });
const statusOf = (err: unknown) => (err instanceof OpenAI.APIError ? err.status : err);

/** A port that was just free: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

beforeAll(async () => {
  buildDist();
  reelay = await startReelay({ yaml });
}, 120_000);
afterAll(() => reelay?.close());

describe('reelay keys', () => {
  let id = '';
  let secret = '';
  let rotated = '';

  it('creates a key: a table with the secret printed once, which the SDK can use', async () => {
    const run = await ok(['keys', 'create', 'ci-bot', '--models', 'sora-2,sandbox-video', '--rpm', '100', '--seconds-per-day', '600', '--metadata', 'team=ml', 'env=ci', '--expires-at', '2099-01-01']);
    secret = secretOf(run);
    id = /^id\s+(key_\S+)$/m.exec(run.stdout)?.[1] ?? '';
    expect(secret).not.toBe('');
    expect(id).not.toBe('');
    expect(run.stdout).toMatch(/^name\s+ci-bot$/m);
    expect(run.stdout).toMatch(/^models\s+sora-2,sandbox-video$/m);
    expect(run.stdout).toMatch(/^expires_at\s+2099-01-01 00:00:00Z$/m);
    expect(run.stdout).toMatch(/^metadata\s+team=ml, env=ci$/m);
    expect(run.stdout).toMatch(new RegExp(`^redacted\\s+sk-rly-…${secret.slice(-4)}$`, 'm'));
    expect(run.stdout.split(secret)).toHaveLength(2);
    expect(run.stderr).toMatch(/will not be shown again/);

    const video = await create(reelay.client(secret));
    expect(video.status).toBe('queued');
  });

  it('creates with --json: the server answer, secret included', async () => {
    const body = await json(['keys', 'create', 'nightly', '--max-concurrent', '2', '--usd-per-month', '12.5']);
    expect(body).toMatchObject({ object: 'gateway.key', name: 'nightly', source: 'api', disabled: false, max_concurrent: 2, usd_per_month: 12.5, last_used_at: null });
    expect(body.secret).toMatch(/^sk-rly-[0-9A-Za-z]{43}$/);
  });

  it('lists keys as a table and as JSON, and follows has_more with --all', async () => {
    const run = await ok(['keys', 'list']);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'SOURCE', 'REDACTED', 'MODELS', 'LIMITS', 'DISABLED', 'CREATED', 'LAST USED']);
    expect(rows.find((r) => r.startsWith('key_') && r.includes(' alice '))).toMatch(/ config .* all /);
    const row = rows.find((r) => r.startsWith(id))!;
    expect(row.split(/\s{2,}/).slice(1, 7)).toEqual(['ci-bot', 'api', `sk-rly-…${secret.slice(-4)}`, 'sora-2,sandbox-video', 'rpm 100, poll 600, 600 s/day, exp 2099-01-01', 'no']);

    const list = await json(['keys', 'list']);
    expect(list).toMatchObject({ object: 'list', has_more: false });
    expect(list.data.map((k: { name: string }) => k.name)).toEqual(['alice', 'bob', 'ci-bot', 'nightly']);
    expect(list.data.every((k: object) => !('secret' in k))).toBe(true);

    const first = await cli(['keys', 'list', '--limit', '1']);
    expect(first.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(first.stderr).toMatch(/--after key_\S+, or with --all/);
    const all = await json(['keys', 'list', '--limit', '1', '--all']);
    expect(all.data.map((k: { id: string }) => k.id)).toEqual(list.data.map((k: { id: string }) => k.id));
    expect(all.has_more).toBe(false);
  });

  it('shows one key', async () => {
    expect((await ok(['keys', 'show', id])).stdout).toMatch(/^seconds_per_day\s+600$/m);
    expect(await json(['keys', 'show', id])).toMatchObject({ id, name: 'ci-bot', seconds_per_day: 600, metadata: { team: 'ml', env: 'ci' } });
  });

  it('updates a key: --models narrows it, and the SDK then gets PermissionDeniedError', async () => {
    const run = await ok(['keys', 'update', id, '--models', 'sandbox-video', '--clear', 'rpm', 'metadata']);
    expect(run.stdout).toMatch(/^models\s+sandbox-video$/m);
    expect(run.stdout).toMatch(/^rpm\s+unlimited$/m);
    expect(run.stdout).toMatch(/^metadata\s+-$/m);
    const client = reelay.client(secret);
    await expect(create(client)).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((await create(client, 'sandbox-video')).model).toBe('sandbox-video');

    expect(await json(['keys', 'update', id, '--disable'])).toMatchObject({ disabled: true });
    await expect(create(client, 'sandbox-video')).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(await json(['keys', 'update', id, '--enable'])).toMatchObject({ disabled: false });
  });

  it('rotates a key: a new secret printed once, and both work during the grace period', async () => {
    const run = await ok(['keys', 'rotate', id, '--grace-seconds', '3600']);
    rotated = secretOf(run);
    expect(rotated).not.toBe('');
    expect(rotated).not.toBe(secret);
    expect(run.stdout).not.toContain(secret);
    expect(run.stdout).toMatch(/^previous secret\s+works until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/m);
    expect(run.stderr).toMatch(/will not be shown again/);
    for (const key of [secret, rotated]) expect((await reelay.client(key).videos.list()).data.length).toBeGreaterThan(0);
  });

  it('revokes a key: both secrets then get 401', async () => {
    expect((await ok(['keys', 'revoke', id])).stdout.trim()).toBe(`Revoked ${id}.`);
    for (const key of [secret, rotated]) {
      await eventually(async () => ((await reelay.client(key).videos.list().catch(statusOf)) === 401 ? true : undefined), { timeoutMs: 2000 });
    }
    const gone = await cli(['keys', 'show', id]);
    expect(gone.code).toBe(1);
  });

  it('shows usage and the audit log, as JSON and as tables', async () => {
    const usage = await json(['usage', '--key', id, '--group-by', 'key,model']);
    expect(usage.object).toBe('list');
    expect(usage.data).toEqual([
      expect.objectContaining({ key_id: id, model: 'sandbox-video', jobs_created: 1 }),
      expect.objectContaining({ key_id: id, model: 'sora-2', jobs_created: 1, usd: 0.4 }),
    ]);
    for (const row of usage.data) {
      expect(Object.keys(row).sort()).toEqual(
        ['jobs_completed', 'jobs_created', 'jobs_failed', 'key_id', 'model', 'seconds_released', 'seconds_reserved', 'seconds_settled', 'usd'].sort(),
      );
    }
    const table = (await ok(['usage', '--group-by', 'model'])).stdout.trimEnd().split('\n');
    expect(table[0]!.split(/\s{2,}/)).toEqual(['MODEL', 'CREATED', 'COMPLETED', 'FAILED', 'RESERVED S', 'SETTLED S', 'RELEASED S', 'USD']);
    expect(table.at(-1)).toMatch(/^TOTAL\s+2\s/);

    const audit = await json(['audit', '--limit', '100']);
    expect(audit).toMatchObject({ object: 'list', has_more: false });
    const mine = audit.data.filter((e: { key_id: string }) => e.key_id === id);
    expect(mine.map((e: { action: string }) => e.action).reverse()).toEqual(['key.create', 'key.update', 'key.update', 'key.update', 'key.rotate', 'key.revoke']);
    expect(mine.every((e: { actor: string }) => e.actor === 'ops')).toBe(true);
    const lines = (await ok(['audit'])).stdout.split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['AT', 'ACTOR', 'ACTION', 'KEY ID', 'CHANGED']);
    expect(lines.find((l) => l.includes(id) && l.includes('key.update'))).toMatch(/\sops\s+key\.update\s+key_\S+\s+disabled$/);
  });

  it("lists a key's videos with the provider and upstream id", async () => {
    const mine = await create(reelay.client(TEST_KEY));
    const aliceId = (await json(['keys', 'list'])).data[0].id as string;
    const page = await json(['videos', '--key', aliceId]);
    expect(page.data[0]).toMatchObject({ id: mine.id, key_id: aliceId, provider: 'sandbox', upstream_id: expect.any(String) });
    expect((await ok(['videos', '--key', aliceId])).stdout).toMatch(new RegExp(`^${mine.id}\\s+${aliceId}\\s+`, 'm'));
  });
});

describe('failures', () => {
  it('exits 1 with the server message and code on an API error', async () => {
    const run = await cli(['keys', 'show', 'key_doesnotexist']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe("reelay: No gateway key with id 'key_doesnotexist'. (key_not_found, HTTP 404)\n");
    const invalid = await cli(['keys', 'create', 'zero', '--rpm', '0']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^reelay: .+ \(\w+, param rpm, HTTP 400\)\n$/);
    const readOnly = await cli(['keys', 'revoke', (await json(['keys', 'list'])).data[0].id]);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/read-only .*\(key_read_only, HTTP 409\)/);
  });

  it('exits 2 on usage errors: no admin key, a bad flag value, an unknown command', async () => {
    const noKey = await cli(['keys', 'list'], { REELAY_ADMIN_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/REELAY_ADMIN_KEY/);
    for (const args of [['keys', 'create', 'x', '--rpm', 'ten'], ['keys', 'update', 'key_x'], ['usage', '--from', '1/2/2026'], ['nope']]) {
      expect((await cli(args)).code, args.join(' ')).toBe(2);
    }
    expect((await cli(['keys', 'list'], { REELAY_URL: `${reelay.origin}/admin/v1` })).stderr).toMatch(/server root/);
  });

  it('exits 1 naming the URL it could not reach', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli(['keys', 'list'], { REELAY_URL: url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not reach ${url}/admin/v1/keys`);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
  });

  it('lets flags win over the environment', async () => {
    const env = { REELAY_URL: `http://127.0.0.1:${await closedPort()}`, REELAY_ADMIN_KEY: 'sk-admin-wrong-000000000' };
    const run = await cli(['keys', 'list', '--json', '--url', reelay.origin, '--admin-key', ADMIN_KEY], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).object).toBe('list');
    const wrong = await cli(['keys', 'list'], { REELAY_ADMIN_KEY: 'sk-admin-wrong-000000000' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/invalid_api_key, HTTP 401/);
  });

  it('never prints the admin key, not even when the server echoes it back', async () => {
    const echoed = await cli(['keys', 'show', ADMIN_KEY]);
    expect(echoed.code).toBe(1);
    expect(echoed.stderr).toContain("id '[admin key]'");
    expect(outputs.length).toBeGreaterThan(40);
    for (const text of outputs) expect(text).not.toContain(ADMIN_KEY);
  });

  it('runs as an executable file through its shebang', async () => {
    const run = await cli(['--version'], {}, ['./dist/cli/main.js']);
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});
