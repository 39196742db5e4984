import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Builds dist/ once per test file: process tests run exactly what the image runs. */
export function buildDist(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
}

export interface ReelayProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves once everything written to stderr so far matches: stderr is its own pipe, so it can arrive after a stdout line written later. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Where processes started by tests keep stored content: never the repository's ./data. */
export const testStorageDir = (): string => mkdtempSync(join(tmpdir(), 'reelay-content-'));

/** `node dist/main.js`, the Dockerfile's command, with the given environment. */
export function runMain(env: Record<string, string>): ReelayProcess {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', REELAY_STORAGE_DIR: testStorageDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      stdout.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const stderrWaiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    const text = stderr.join('');
    for (const w of [...stderrWaiters]) {
      if (w.pattern.test(text)) {
        stderrWaiters.splice(stderrWaiters.indexOf(w), 1);
        w.resolve(text);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForLine(pattern, timeoutMs = 15_000) {
      const seen = stdout.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr.join('')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then((code) => reject(new Error(`process exited (${code}) before ${pattern}; stderr: ${stderr.join('')}`)));
      });
    },
    waitForStderr(pattern, timeoutMs = 15_000) {
      const text = stderr.join('');
      if (pattern.test(text)) return Promise.resolve(text);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stderr did not match ${pattern} within ${timeoutMs} ms: ${stderr.join('')}`)), timeoutMs);
        stderrWaiters.push({ pattern, resolve: (t) => (clearTimeout(timer), resolve(t)) });
        void exited.then((code) => reject(new Error(`process exited (${code}) before stderr matched ${pattern}: ${stderr.join('')}`)));
      });
    },
  };
}
