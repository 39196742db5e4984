import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { taskset } from './proc.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface NodeServerOptions {
  /** For messages and file names. */
  name: string;
  /** The script, relative to the repository root (.js runs as is, .ts through tsx). */
  script: string;
  env?: Record<string, string>;
  /** Pin to this CPU with taskset (ignored where taskset is missing). */
  cpu?: number | undefined;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** stdout and stderr go here: a file, so a chatty server never blocks on a pipe the benchmark must drain. */
  logPath: string;
  /**
   * How to know it listens: a line in its log whose first group is the port,
   * or a known port and a path that answers 200 (for servers too quiet to log it).
   */
  ready: RegExp | { port: number; path: string };
  readyTimeoutMs?: number;
}

export interface NodeServer {
  name: string;
  pid: number;
  port: number;
  origin: string;
  logPath: string;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Every server started and not yet stopped, so a failing run leaves nothing behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startNodeServer(opts: NodeServerOptions): Promise<NodeServer> {
  const fd = openSync(opts.logPath, 'w');
  const nodeArgs = [...(opts.nodeFlags ?? []), ...(opts.script.endsWith('.ts') ? ['--import', 'tsx'] : []), opts.script];
  const bin = opts.cpu !== undefined ? taskset() : undefined;
  const [command, args] = bin
    ? [bin, ['-c', String(opts.cpu), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  void exited.then(() => live.delete(child));

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let port: number | undefined;
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  while (port === undefined) {
    const text = readFileSync(opts.logPath, 'utf8');
    const found = opts.ready instanceof RegExp ? opts.ready.exec(text)?.[1] : await answers(opts.ready.port, opts.ready.path);
    if (found !== undefined) port = Number(found);
    else if (exitCode !== undefined) throw new Error(`${opts.name} exited (${exitCode}) before it listened:\n${text.slice(-3000)}`);
    else if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} did not listen within ${opts.readyTimeoutMs ?? 30_000} ms:\n${text.slice(-3000)}`);
    } else await delay(25);
  }
  if (child.pid === undefined) throw new Error(`${opts.name} has no pid`);
  return {
    name: opts.name,
    pid: child.pid,
    port,
    origin: `http://127.0.0.1:${port}`,
    logPath: opts.logPath,
    child,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function answers(port: number, path: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200 ? port : undefined;
  } catch {
    return undefined;
  }
}
