import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { buildDist, ROOT, runMain, type ReelayProcess } from '../helpers/process.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';

let dir: string;
const running: ReelayProcess[] = [];

beforeAll(async () => {
  buildDist();
  dir = await mkdtemp(join(tmpdir(), 'reelay-main-'));
}, 120_000);
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

const start = (env: Record<string, string>) => {
  const p = runMain(env);
  running.push(p);
  return p;
};

async function listening(p: ReelayProcess): Promise<{ baseURL: string; line: string }> {
  const line = await p.waitForLine(/Reelay listening on/);
  const baseURL = /listening on (http:\/\/\S+\/v1)/.exec(line)![1]!;
  return { baseURL, line };
}

/** SIGTERM must drain and exit 0; on failure the process's last words explain why. */
async function stopCleanly(p: ReelayProcess): Promise<void> {
  p.child.kill('SIGTERM');
  const code = await p.exited;
  expect(code, `${p.stdout.slice(-5).join('\n')}\n${p.stderr.join('')}`).toBe(0);
}

const healthcheck = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['docker/healthcheck.mjs'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } }).status;

async function untilCompleted(client: OpenAI, id: string): Promise<OpenAI.Videos.Video> {
  for (let i = 0; i < 200; i++) {
    const v = await client.videos.retrieve(id);
    if (v.status === 'completed' || v.status === 'failed') return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`video ${id} did not finish`);
}

describe('node dist/main.js', () => {
  it('serves the embedded default config: banner with URL, key and curl; the SDK snippet completes a video', async () => {
    const p = start({ REELAY_PORT: '0', REELAY_DEV_KEY: 'sk-reelay-test-key' });
    const { baseURL, line } = await listening(p);
    expect(line).toContain('sk-reelay-test-key');
    expect(line).toContain(`curl -s ${baseURL}/videos`);
    const client = new OpenAI({ baseURL, apiKey: 'sk-reelay-test-key' });
    const video = await client.videos.create({ prompt: 'A calico cat playing a piano on stage' });
    expect(video.model).toBe('sora-2');
    // The image's HEALTHCHECK command against the running process.
    const origin = new URL(baseURL).origin;
    expect(healthcheck({ REELAY_HEALTHCHECK_URL: `${origin}/readyz` })).toBe(0);
    expect(healthcheck({ REELAY_HEALTHCHECK_URL: `${origin}/nope` })).toBe(1);
    await stopCleanly(p);
  });

  it('exits 1 on an invalid config, listing every problem by path', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'keys: []\nproviders:\n  - id: x\n    type: openai\n    base_url: nope\n    api_keys: [k]\nmodels:\n  m:\n    - provider: y\n');
    const p = start({ REELAY_CONFIG: path });
    expect(await p.exited).toBe(1);
    const stderr = p.stderr.join('');
    expect(stderr).toContain('providers[0].base_url: Invalid URL');
    expect(stderr).toContain('models.m[0].provider: unknown provider "y"');
    expect(stderr).toContain('keys:');
  });

  describe('with the Redis store', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(() => redis.stop());

    it('keeps videos across a restart: listed, retrievable and downloadable', async () => {
      const path = join(dir, 'redis.yaml');
      await writeFile(
        path,
        `server:\n  port: 0\nstore:\n  type: redis\n  url: ${redis.url}\n  prefix: "${uniquePrefix('main')}"\nkeys:\n  - name: dev\n    key: sk-reelay-redis-test\nproviders:\n  - id: sandbox\n    type: sandbox\n    generation_seconds: 0.3\nmodels:\n  sora-2:\n    - provider: sandbox\n`,
      );
      const first = start({ REELAY_CONFIG: path });
      const a = new OpenAI({ baseURL: (await listening(first)).baseURL, apiKey: 'sk-reelay-redis-test' });
      const created = await a.videos.create({ prompt: 'survives restarts', size: '1280x720' });
      await untilCompleted(a, created.id);
      await stopCleanly(first);

      const second = start({ REELAY_CONFIG: path });
      const b = new OpenAI({ baseURL: (await listening(second)).baseURL, apiKey: 'sk-reelay-redis-test' });
      expect((await b.videos.list()).data.map((v) => v.id)).toContain(created.id);
      expect((await b.videos.retrieve(created.id)).status).toBe('completed');
      const content = await b.videos.downloadContent(created.id);
      const bytes = Buffer.from(await content.arrayBuffer());
      expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
      await stopCleanly(second);
    });
  });
});
