import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface RedisServerOptions {
  /** Defaults to the system redis-server. */
  binary?: string;
  /** Extra arguments, e.g. ['--cluster-enabled', 'yes']. Relative paths resolve in a private directory. */
  args?: readonly string[];
  /** How long to wait for the first PONG. */
  startTimeoutMs?: number;
}

export interface RedisServer {
  url: string;
  port: number;
  /** Graceful shutdown (SIGTERM); resolves once the process has exited. */
  stop(): Promise<void>;
  /** Starts the server again on the same port, stopping it first when it still runs. */
  restart(): Promise<void>;
  /** Graceful shutdown that keeps the data directory and the port, for a later restart() (an outage, not the end). */
  halt(): Promise<void>;
  /** Abrupt death (SIGKILL), like a crashed or partitioned Redis. */
  kill(): Promise<void>;
}

const HOST = '127.0.0.1';
const POLL_MS = 25;

/**
 * A private, throwaway redis-server for one test file: nothing persisted,
 * loopback only, its own port, so tests never meet another Redis's data.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = opts.binary ?? '/usr/bin/redis-server';
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), 'reelay-redis-'));
  // The free port can be taken between probing and binding; a fresh port then helps.
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      let child = await launch(binary, port, dir, opts.args ?? [], startTimeoutMs);
      return {
        url: `redis://${HOST}:${port}`,
        port,
        async stop() {
          await terminate(child, 'SIGTERM');
          await rm(dir, { recursive: true, force: true });
        },
        async kill() {
          await terminate(child, 'SIGKILL');
          await rm(dir, { recursive: true, force: true });
        },
        async restart() {
          await terminate(child, 'SIGTERM');
          child = await launch(binary, port, dir, opts.args ?? [], startTimeoutMs);
        },
        async halt() {
          await terminate(child, 'SIGTERM');
        },
      };
    } catch (err) {
      if (attempt >= 3 || !/already in use/i.test(String(err))) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

/** A key prefix no other test uses, so each test sees only its own keys. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${randomBytes(6).toString('hex')}:`;
}

async function launch(binary: string, port: number, dir: string, extra: readonly string[], timeoutMs: number): Promise<ChildProcess> {
  await mkdir(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  const command = `${binary} ${args.map((a) => (a === '' ? '""' : a)).join(' ')}`;
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  // A test run that dies must not leave servers behind.
  const reap = (): void => void child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));

  const fail = async (reason: string): Promise<never> => {
    await terminate(child, 'SIGKILL');
    throw new Error(`could not start redis-server (${reason})\n  command: ${command}\n  output: ${output.trim() || '(none)'}`);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) return fail(spawnError.message);
    if (hasExited(child)) return fail(`exited with ${child.exitCode ?? child.signalCode}`);
    if (await answersPing(port)) return child;
    await delay(POLL_MS);
  }
  return fail(`no PONG within ${timeoutMs} ms`);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** A port nothing listens on right now (the OS picks it; it may be taken again later). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port found'))));
    });
  });
}

/** One raw RESP round trip, so readiness does not depend on the client under test. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
