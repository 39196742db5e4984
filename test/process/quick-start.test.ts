import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, testStorageDir } from '../helpers/process.js';
import { findFreePort } from '../helpers/redis-server.js';

/**
 * The README's quick start, as a new user follows it: `npm start`, then the
 * Node snippet saved as video.mjs and run with node, the Python snippet saved
 * as video.py, and the curl walkthrough, each exactly as the README has it.
 * Only the port differs (through OPENAI_BASE_URL / REELAY_URL, which the
 * snippets read), so nothing here can collide with a Reelay already on 8080.
 */

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced block of `lang` whose first line is `<comment> <name>`. */
function snippet(lang: string, firstLine: string): string {
  const block = [...README.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!).find((b) => b.startsWith(`${firstLine}\n`));
  if (!block) throw new Error(`README.md has no \`\`\`${lang} block starting "${firstLine}"`);
  return block;
}

/** An MP4's `ftyp` box: the file is a real video. */
const isMp4 = (path: string) => readFileSync(path).toString('latin1', 4, 8) === 'ftyp';

let server: ChildProcess;
let port: number;
const serverOutput: string[] = [];

beforeAll(async () => {
  port = await findFreePort();
  // `npm start` builds and serves the embedded default.
  server = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REELAY_PORT: String(port), REELAY_STORAGE_DIR: testStorageDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen: ${serverOutput.join('')}`)), 110_000);
    const onData = (chunk: Buffer) => {
      serverOutput.push(chunk.toString());
      if (serverOutput.join('').includes('Reelay listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${serverOutput.join('')}`)));
  });
}, 120_000);
afterAll(() => {
  // npm start runs node as its child: end the whole group.
  if (server?.pid && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
});

const baseURL = () => `http://127.0.0.1:${port}/v1`;

describe('the README quick start', () => {
  it('Node: video.mjs, run with node, downloads a playable video', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reelay-quickstart-node-'));
    // What `npm i openai` gives the new directory: the SDK, here the repository's own copy.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(ROOT, 'node_modules', 'openai'), join(dir, 'node_modules', 'openai'));
    writeFileSync(join(dir, 'video.mjs'), snippet('js', '// video.mjs'));
    const run = spawnSync(process.execPath, ['video.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', OPENAI_BASE_URL: baseURL() } });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('saved video.mp4 (4 s, 1280x720)');
    expect(isMp4(join(dir, 'video.mp4'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('Python: video.py, with create_and_poll and write_to_file, downloads a playable video', () => {
    const python = join(ROOT, '.venv', 'bin', 'python');
    expect(existsSync(python), 'the Python SDK venv (bash test/python/install-sdk.sh)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'reelay-quickstart-python-'));
    writeFileSync(join(dir, 'video.py'), snippet('python', '# video.py'));
    const run = spawnSync(python, ['video.py'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', OPENAI_BASE_URL: baseURL() } });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('saved video.mp4 (4 s, 1280x720)');
    expect(isMp4(join(dir, 'video.mp4'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('curl: text and image to video, poll, download', () => {
    const block = /```sh\n# walkthrough: quick start curl\n([\s\S]*?)```/.exec(README)?.[1];
    expect(block).toBeDefined();
    // Run from the repository, as the README says (the image is a test fixture); its downloads land there, removed after.
    const outputs = ['video.mp4', 'thumb.webp'].map((f) => join(ROOT, f));
    try {
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', block!], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', REELAY_URL: `http://127.0.0.1:${port}` } });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(isMp4(outputs[0]!)).toBe(true);
      expect(readFileSync(outputs[1]!).toString('latin1', 8, 12)).toBe('WEBP');
      expect(JSON.parse(run.stdout)).toMatchObject({ object: 'video', size: '720x1280', seconds: '4' });
    } finally {
      for (const f of outputs) rmSync(f, { force: true });
    }
  }, 60_000);
});
