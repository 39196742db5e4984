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
  // The banner is one write to stderr, its own pipe: it can arrive after the stdout line.
  await p.waitForStderr(/ {2}try: curl [^\n]*\n/);
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

/** The banner's `try:` curl, run by a shell exactly as a developer would paste it. */
function runBannerCurl(p: ReelayProcess, env: Record<string, string> = {}): unknown {
  const curl = /^ {2}try: (curl .*)$/m.exec(p.stderr.join(''))?.[1];
  expect(curl, p.stderr.join('')).toBeDefined();
  const out = spawnSync('bash', ['-c', curl!], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout);
}

describe('node dist/main.js', () => {
  it('serves the embedded default config: a banner with the public dev key and a curl that runs as pasted', async () => {
    const p = start({ REELAY_PORT: '0' });
    const { baseURL, line } = await listening(p);
    // The JSON log line names the key; the plain-text banner on stderr carries the curl.
    expect(JSON.parse(line)).toMatchObject({ url: baseURL, key: 'dev' });
    expect(p.stderr.join('')).toContain(`Reelay listening on ${baseURL}`);
    expect(p.stderr.join('')).toContain('sk-reelay-dev');
    expect(runBannerCurl(p)).toMatchObject({ object: 'video', status: 'queued', model: 'sora-2' });
    const client = new OpenAI({ baseURL, apiKey: 'sk-reelay-dev' });
    const video = await client.videos.create({ prompt: 'A calico cat playing a piano on stage' });
    expect(video.model).toBe('sora-2');
    // The image's HEALTHCHECK command against the running process.
    const origin = new URL(baseURL).origin;
    expect(healthcheck({ REELAY_HEALTHCHECK_URL: `${origin}/readyz` })).toBe(0);
    expect(healthcheck({ REELAY_HEALTHCHECK_URL: `${origin}/nope` })).toBe(1);
    await stopCleanly(p);
  });

  it('never prints a configured secret: the banner names the key and its curl reads $REELAY_KEY', async () => {
    const secret = 'sk-reelay-test-key-0123';
    const p = start({ REELAY_PORT: '0', REELAY_DEV_KEY: secret });
    const { line } = await listening(p);
    expect(line).not.toContain(secret);
    expect(p.stderr.join('')).toContain('key: dev');
    expect(p.stderr.join('')).toContain('Bearer $REELAY_KEY');
    expect(runBannerCurl(p, { REELAY_KEY: secret })).toMatchObject({ object: 'video' });
    await stopCleanly(p);
    expect([...p.stdout, ...p.stderr].join('\n')).not.toContain(secret);
  });

  it('exits 1 with one clear line on an invalid LOG_LEVEL', async () => {
    const p = start({ REELAY_PORT: '0', LOG_LEVEL: 'verbose' });
    expect(await p.exited).toBe(1);
    expect(p.stderr.join('')).toBe('reelay: invalid LOG_LEVEL "verbose"; use one of fatal, error, warn, info, debug, trace, silent\n');
  });

  it('exits 1 with one clear line on an invalid LOG_FORMAT', async () => {
    const p = start({ REELAY_PORT: '0', LOG_FORMAT: 'yaml' });
    expect(await p.exited).toBe(1);
    expect(p.stderr.join('')).toBe('reelay: invalid LOG_FORMAT "yaml"; use one of json, pretty\n');
  });

  it('logs JSON with word levels and one runId per process; LOG_FORMAT=pretty logs for humans', async () => {
    const json = start({ REELAY_PORT: '0' });
    const { line } = await listening(json);
    const parsed = JSON.parse(line) as { level: unknown; runId: unknown };
    expect(parsed).toMatchObject({ level: 'info', runId: expect.stringMatching(/^run_[0-9a-f]{12}$/) });
    await stopCleanly(json);
    const lines = json.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { runId?: string; msg?: string });
    expect(lines.map((l) => l.msg)).toContain('shutdown complete');
    expect(new Set(lines.map((l) => l.runId))).toEqual(new Set([parsed.runId]));

    const pretty = start({ REELAY_PORT: '0', LOG_FORMAT: 'pretty' });
    const prettyLine = await pretty.waitForLine(/Reelay listening on/);
    expect(prettyLine).toMatch(/INFO.*Reelay listening on http:\/\//);
    expect(() => JSON.parse(prettyLine)).toThrow();
    await stopCleanly(pretty);
    // The last line before exit is not lost: pino-pretty writes synchronously in the process.
    expect(pretty.stdout.join('\n')).toContain('shutdown complete');
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
