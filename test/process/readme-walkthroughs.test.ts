import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/reelay.js';
import { buildDist, ROOT, runMain, testStorageDir, type ReelayProcess } from '../helpers/process.js';
import { findFreePort } from '../helpers/redis-server.js';

/**
 * The README's operator walkthroughs, run exactly as written (a bash of the
 * fenced block), with only the ports they leave to the environment chosen
 * here so they cannot collide with anything else on the machine.
 */

function walkthrough(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n# walkthrough: ([^\n]+)\n([\s\S]*?)```/g)];
  const block = blocks.find((b) => b[1] === name);
  if (!block) throw new Error(`README.md has no walkthrough "${name}"`);
  return block[2]!;
}

function runBash(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const running: ReelayProcess[] = [];
beforeAll(() => buildDist(), 120_000);
afterAll(() => running.forEach((p) => p.child.kill('SIGKILL')));

describe('the README walkthroughs', () => {
  it('embedded default: create a key, make a video, watch usage, rotate, revoke', async () => {
    const port = String(await findFreePort());
    const reelay = runMain({ REELAY_PORT: port });
    running.push(reelay);
    await reelay.waitForLine(/Reelay listening on/);
    const out = await runBash(walkthrough('embedded default'), { REELAY_PORT: port });
    expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
    expect(out.stdout).toContain('alice');
    expect(out.stderr).toContain('seconds left today: 12');
    expect(out.stdout).toMatch(/"remaining":\{"seconds_day":12,/);
    expect(out.stdout).toContain('old secret: 200');
    expect(out.stdout).toContain('after revoke: 401');
    for (const action of ['key.create', 'key.rotate', 'key.revoke']) expect(out.stdout).toContain(action);
    // No minted secret reaches the server's log.
    const secrets = [...`${out.stdout}${out.stderr}`.matchAll(/sk-rly-[0-9A-Za-z]{43}/g)].map((m) => m[0]);
    const logs = [...reelay.stdout, ...reelay.stderr].join('\n');
    for (const s of secrets) expect(logs).not.toContain(s);
  }, 90_000);

  it('webhooks: a receiver verifies the embedded default\'s webhook with the official SDK', async () => {
    const [port, receiverPort] = await Promise.all([findFreePort(), findFreePort()]);
    const reelay = runMain({ REELAY_PORT: String(port) });
    running.push(reelay);
    await reelay.waitForLine(/Reelay listening on/);
    try {
      const out = await runBash(walkthrough('webhooks'), { REELAY_PORT: String(port), RECEIVER_PORT: String(receiverPort) });
      expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
      expect(out.stdout).toMatch(/verified video\.completed for video_[0-9a-f]+/);
      expect(out.stdout).toMatch(/"status":"delivered"/);
      expect(out.stdout).toMatch(/"attempts":1,/);
      // The webhook secret went into the receiver's environment only: no answer printed and no log line carries one.
      expect(`${out.stdout}${out.stderr}${[...reelay.stdout, ...reelay.stderr].join('\n')}`).not.toContain('whsec_');
    } finally {
      rmSync(join(ROOT, 'webhook-receiver.mjs'), { force: true });
      rmSync(join(ROOT, 'receiver.log'), { force: true });
    }
  }, 90_000);

  it('running with Redis: a private redis-server off 6379, and npm start on it', async () => {
    const [redisPort, port] = await Promise.all([findFreePort(), findFreePort()]);
    // The block ends in `npm start`, which serves until stopped: run it as its own process group.
    const child = spawn('bash', ['-euo', 'pipefail', '-c', walkthrough('running with redis')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REDIS_PORT: String(redisPort), REELAY_PORT: String(port), REELAY_STORAGE_DIR: testStorageDir() },
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await eventually(async () => (output.includes('Reelay listening on') ? true : undefined), { timeoutMs: 110_000, intervalMs: 100 });
      // The start-up check's line: this Redis's version and address.
      expect(output).toMatch(new RegExp(`"redis":"redis://127\\.0\\.0\\.1:${redisPort}","version":"7\\.`));
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-reelay-dev' });
      const video = await client.videos.create({ prompt: 'kept in Redis' });
      // The record is in this walkthrough's Redis, not in one that happened to be on 6379.
      const keys = spawnSync('redis-cli', ['-p', String(redisPort), '--scan'], { encoding: 'utf8' }).stdout;
      expect(keys).toContain(video.id);
    } finally {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
      spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave']);
      rmSync(join(ROOT, 'data', 'redis'), { recursive: true, force: true });
    }
  }, 120_000);

  it('Redis and two instances: made through one, used through the other, revoked on both', async () => {
    const [redisPort, a, b] = await Promise.all([findFreePort(), findFreePort(), findFreePort()]);
    const env = { REDIS_PORT: String(redisPort), PORT_A: String(a), PORT_B: String(b), REELAY_STORAGE_DIR: testStorageDir() };
    try {
      const out = await runBash(walkthrough('redis, two instances'), env);
      expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
      expect(out.stdout).toMatch(/"usage":\{"day":\{"jobs":1,"seconds":8,/);
      expect(out.stdout).toContain('B after revoke: 401');
    } finally {
      spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave']);
      rmSync(join(ROOT, 'reelay-a.log'), { force: true });
      rmSync(join(ROOT, 'reelay-b.log'), { force: true });
    }
  }, 120_000);
});
