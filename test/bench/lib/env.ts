import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import OpenAI from 'openai';
import { findFreePort, startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { allowedCpus, pinProcess, taskset } from './proc.js';
import { startNodeServer, type NodeServer } from './spawn.js';

/**
 * Everything the scenarios share: a private Redis, the fake upstream twice
 * (one beside the load generator, for Reelay and the pass-through to call;
 * one on the server core, the "served directly" arm), the content file, the
 * request bytes the official SDK sends, and a way to start Reelay.
 *
 * CPU layout where taskset exists and two CPUs are allowed: the benchmark
 * process pins itself to the first, so the load generator, Redis and the
 * calling-side upstream (which inherit it) share that core; every system
 * under test (Reelay, the Fastify floors, the pass-through, the direct
 * upstream) is started pinned to the second and has it to itself.
 */

export const GATEWAY_KEY = 'sk-bench-0123456789abcdef';

export interface EnvOptions {
  /** Pin processes to cores (the benchmark does; the smoke test must not pin a shared vitest worker). */
  pin: boolean;
  /** Run Reelay from dist/ (what ships; needs `npm run build`) or from src/ through tsx. */
  reelay: 'dist' | 'src';
  /** Run this entry file instead (e.g. another build's dist/main.js). */
  reelayEntry?: string | undefined;
  /** A second Reelay build measured as an extra arm beside the first (cached status and create), to A/B a change. */
  compareEntry?: string | undefined;
  contentBytes: number;
  log: (line: string) => void;
}

export interface ReelayOptions {
  name: string;
  /** Store keys under this prefix; two Reelays given the same prefix share their jobs (default: a fresh one). */
  prefix?: string;
  /** Another upstream than the environment's calling-side one (a scenario's own fake upstream). */
  upstream?: string;
  /**
   * Names this instance to the fake upstream: its base URL becomes `<upstream>/as/<caller>/v1`, so the
   * upstream can tell who polled. (Not the credential: a job's record pins the credential's fingerprint,
   * and another instance with another key could not poll it.)
   */
  upstreamCaller?: string;
  /** Further gateway keys beside the default one (`bench`), with the same huge poll_rpm. */
  keys?: Array<{ name: string; key: string }>;
  /** Content custody on the filesystem, in this directory (default: no custody). */
  storageDir?: string;
  /** Another entry file than the environment's (the --compare-entry build). */
  entry?: string;
  store?: 'redis' | 'memory';
  /** The `poll:` section (only keys the schema knows). */
  poll?: Record<string, number>;
  logLevel?: string;
  nodeFlags?: string[];
}

export interface SdkRequest {
  /** Headers the SDK sends on every request (user agent, x-stainless-*, accept), without auth or body headers. */
  baseHeaders: Record<string, string>;
  /** The multipart create body and its content type, byte for byte. */
  createBody: Buffer;
  createContentType: string;
}

/** A running Reelay, and the Redis prefix its store writes under. */
export interface ReelayServer extends NodeServer {
  prefix: string;
}

export interface BenchEnv {
  dir: string;
  cpus: { sut: number | undefined; load: number | undefined };
  redis: RedisServer;
  /** Beside the load generator: what Reelay and the pass-through call. */
  upstream: NodeServer;
  /** On the server core: the "same request sent directly" arm. */
  directUpstream: NodeServer;
  contentFile: string;
  contentBytes: number;
  sdk: SdkRequest;
  reelayScript: string;
  compareEntry: string | undefined;
  /**
   * Starts a node server from test/bench/servers: on the server core (a system
   * under test), or beside the load generator (a scenario's own fake upstream).
   */
  startServer(name: string, script: string, env?: Record<string, string>, side?: 'sut' | 'load'): Promise<NodeServer>;
  startReelay(opts: ReelayOptions): Promise<ReelayServer>;
  /** Authorization + SDK headers for Reelay (the default key, or `key`). */
  authHeaders(extra?: Record<string, string>, key?: string): Record<string, string>;
  close(): Promise<void>;
}

export async function createEnv(opts: EnvOptions): Promise<BenchEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'reelay-bench-'));
  const stoppers: Array<() => Promise<void>> = [];
  try {
    const cpus = chooseCpus(opts);
    if (cpus.load !== undefined) opts.log(`pinning: load generator, Redis and the calling-side upstream on CPU ${cpus.load}; systems under test on CPU ${cpus.sut}`);
    else opts.log(opts.pin ? 'pinning: unavailable (no taskset or fewer than two CPUs); results are noisier' : 'pinning: off');

    const contentFile = join(dir, 'video.bin');
    await writeRandomFile(contentFile, opts.contentBytes);

    const redis = await startRedisServer();
    stoppers.push(() => redis.stop());

    const started: NodeServer[] = [];
    const startServer = async (name: string, script: string, env: Record<string, string> = {}, side: 'sut' | 'load' = 'sut') => {
      const server = await startNodeServer({
        name,
        script,
        env,
        // The load side needs no taskset: children inherit the benchmark's own CPU.
        cpu: side === 'sut' ? cpus.sut : undefined,
        logPath: join(dir, `${name}.log`),
        ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/,
      });
      started.push(server);
      stoppers.push(() => server.stop());
      return server;
    };

    // The calling-side upstream inherits the benchmark's own CPU.
    const upstream = await startServer('upstream', 'test/bench/servers/fake-upstream.ts', { CONTENT_FILE: contentFile }, 'load');
    const directUpstream = await startServer('upstream-direct', 'test/bench/servers/fake-upstream.ts', { CONTENT_FILE: contentFile });
    const sdk = await captureSdkRequest();
    const reelayScript = opts.reelayEntry ?? (opts.reelay === 'dist' ? 'dist/main.js' : 'src/main.ts');

    const env: BenchEnv = {
      dir,
      cpus,
      redis,
      upstream,
      directUpstream,
      contentFile,
      contentBytes: opts.contentBytes,
      sdk,
      reelayScript,
      compareEntry: opts.compareEntry,
      startServer: (name, script, e, side) => startServer(name, script, e, side),
      async startReelay(r) {
        const configPath = join(dir, `${r.name}.yaml`);
        const prefix = r.prefix ?? `bench:${r.name}:${randomBytes(4).toString('hex')}:`;
        // The port is chosen before Reelay binds it, so another process may take it first: try again then.
        for (let attempt = 1; ; attempt++) {
          const port = await findFreePort();
          await writeFile(
            configPath,
            reelayYaml({
              port,
              redisUrl: redis.url,
              upstream: `${r.upstream ?? upstream.origin}${r.upstreamCaller ? `/as/${encodeURIComponent(r.upstreamCaller)}` : ''}`,
              store: r.store ?? 'redis',
              poll: r.poll ?? {},
              prefix,
              keys: [{ name: 'bench', key: GATEWAY_KEY }, ...(r.keys ?? [])],
              storageDir: r.storageDir,
            }),
          );
          try {
            const server = await startNodeServer({
              name: r.name,
              script: r.entry ?? reelayScript,
              env: { REELAY_CONFIG: configPath, LOG_LEVEL: r.logLevel ?? 'info' },
              cpu: cpus.sut,
              nodeFlags: r.nodeFlags ?? [],
              logPath: join(dir, `${r.name}.log`),
              // At LOG_LEVEL=warn there is no banner to wait for; /healthz answers either way.
              ready: { port, path: '/healthz' },
              readyTimeoutMs: 60_000,
            });
            started.push(server);
            stoppers.push(() => server.stop());
            return { ...server, prefix };
          } catch (err) {
            if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
          }
        }
      },
      authHeaders: (extra = {}, key = GATEWAY_KEY) => ({ ...sdk.baseHeaders, authorization: `Bearer ${key}`, ...extra }),
      async close() {
        for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
    return env;
  } catch (err) {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function chooseCpus(opts: EnvOptions): BenchEnv['cpus'] {
  const cpus = allowedCpus();
  if (!opts.pin || !taskset() || !cpus || cpus.length < 2) return { sut: undefined, load: undefined };
  const [load, sut] = [cpus[0]!, cpus[1]!];
  if (!pinProcess(process.pid, load)) return { sut: undefined, load: undefined };
  return { sut, load };
}

interface YamlOptions {
  port: number;
  redisUrl: string;
  upstream: string;
  store: 'redis' | 'memory';
  poll: Record<string, number>;
  prefix: string;
  keys: Array<{ name: string; key: string }>;
  storageDir: string | undefined;
}

function reelayYaml(o: YamlOptions): string {
  const poll = Object.entries(o.poll);
  // Status polls are rate limited per key (poll_rpm); the benchmark measures cost, not the limiter's verdict,
  // so every key's budget is out of reach and every arm asserts that no answer was a 429.
  const keys = o.keys.map((k) => `  - name: ${k.name}\n    key: ${k.key}\n    poll_rpm: 1000000000\n`).join('');
  return `server:
  host: 127.0.0.1
  port: ${o.port}
store:
  type: ${o.store}
${o.store === 'redis' ? `  url: ${o.redisUrl}\n  prefix: "${o.prefix}"\n` : ''}keys:
${keys}${poll.length > 0 ? `poll:\n${poll.map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n` : ''}${o.storageDir ? `storage:\n  type: fs\n  dir: ${JSON.stringify(o.storageDir)}\n` : ''}providers:
  - id: upstream
    type: openai
    base_url: ${o.upstream}/v1
    api_keys: [sk-upstream-bench]
models:
  sora-2:
    - provider: upstream
`;
}

/** 1 MiB of random bytes repeated: incompressible enough, and quick to write. */
async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const block = randomBytes(1024 * 1024);
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; left -= block.length) {
    if (!out.write(left >= block.length ? block : block.subarray(0, left))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** What `client.videos.create()` of the official SDK puts on the wire, captured through its fetch hook. */
async function captureSdkRequest(): Promise<SdkRequest> {
  let captured: SdkRequest | undefined;
  const client = new OpenAI({
    apiKey: GATEWAY_KEY,
    baseURL: 'http://127.0.0.1:9/v1',
    maxRetries: 0,
    fetch: async (url, init) => {
      const req = new Request(url as string, init as RequestInit);
      if (req.method === 'POST' && req.url.endsWith('/videos')) {
        const baseHeaders: Record<string, string> = {};
        for (const [k, v] of req.headers) if (!['authorization', 'content-type', 'content-length'].includes(k)) baseHeaders[k] = v;
        captured = {
          baseHeaders,
          createBody: Buffer.from(await req.arrayBuffer()),
          createContentType: req.headers.get('content-type') ?? '',
        };
      }
      return new Response(JSON.stringify({ id: 'video_captured', object: 'video', status: 'queued' }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    },
  });
  await client.videos.create({ prompt: 'A calico cat playing a piano on stage', model: 'sora-2', seconds: '4', size: '720x1280' });
  if (!captured || !captured.createContentType.startsWith('multipart/form-data')) {
    throw new Error('could not capture the SDK create request (expected a multipart POST /videos)');
  }
  return captured;
}

/** A JSON create through Reelay (setup only, never measured). Returns the Reelay video. */
export async function createVideo(env: BenchEnv, reelay: NodeServer, prompt: string, key?: string): Promise<{ id: string; status: string }> {
  const res = await fetch(`${reelay.origin}/v1/videos`, {
    method: 'POST',
    headers: env.authHeaders({ 'content-type': 'application/json' }, key),
    body: JSON.stringify({ model: 'sora-2', prompt }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`create through ${reelay.name} answered ${res.status}: ${text}`);
  return JSON.parse(text) as { id: string; status: string };
}
