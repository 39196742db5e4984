import { Writable } from 'node:stream';
import OpenAI, { type ClientOptions } from 'openai';
import pino from 'pino';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ProviderConfig } from '../../src/config/schema.js';
import { loggerOptions } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';

/** The gateway key most test configs give to `alice`. */
export const TEST_KEY = 'sk-test-alice-0123456789';
export const OTHER_KEY = 'sk-test-bob-9876543210';

export interface StartReelayOptions {
  /** A whole config file; `${VAR}` substitution reads only `env`. */
  yaml: string;
  env?: Record<string, string>;
  clock?: Clock;
  logLevel?: string;
  dispatcherFor?: (config: ProviderConfig) => Dispatcher;
}

export interface RunningReelay {
  /** http://127.0.0.1:PORT/v1, what the SDK takes as baseURL. */
  baseURL: string;
  origin: string;
  config: Config;
  runtime: Runtime;
  /** Every JSON log line written so far. */
  logs: string[];
  /** The official SDK aimed at this instance; no retries unless asked, so failures surface once. */
  client(apiKey?: string, options?: ClientOptions): OpenAI;
  close(): Promise<void>;
}

/** Starts Reelay exactly as main.ts does, but on 127.0.0.1:0 with captured logs. */
export async function startReelay(options: StartReelayOptions): Promise<RunningReelay> {
  const parsed = parseConfig(options.yaml, options.env ?? {});
  const config: Config = { ...parsed, server: { ...parsed.server, host: '127.0.0.1', port: 0 } };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const logger = pino(loggerOptions(options.logLevel ?? 'info'), sink);
  const runtime = await createRuntime({
    config,
    logger,
    clock: options.clock ?? systemClock,
    ...(options.dispatcherFor ? { dispatcherFor: options.dispatcherFor } : {}),
  });
  await runtime.app.listen({ host: '127.0.0.1', port: 0 });
  const address = runtime.app.server.address();
  if (address === null || typeof address !== 'object') throw new Error('Reelay did not bind a TCP port');
  const origin = `http://127.0.0.1:${address.port}`;
  const baseURL = `${origin}/v1`;
  let closed = false;
  return {
    baseURL,
    origin,
    config,
    runtime,
    logs,
    client: (apiKey = TEST_KEY, clientOptions = {}) => new OpenAI({ apiKey, baseURL, maxRetries: 0, ...clientOptions }),
    async close() {
      if (closed) return;
      closed = true;
      await runtime.close();
    },
  };
}

/** A memory-store config around one sandbox provider, for tests of the front door. */
export function sandboxYaml(extra: { generationSeconds?: number; keys?: string; store?: string; poll?: string; models?: string } = {}): string {
  return `
${extra.store ?? 'store:\n  type: memory'}
keys:
${extra.keys ?? `  - name: alice\n    key: ${TEST_KEY}\n  - name: bob\n    key: ${OTHER_KEY}`}
poll:
${extra.poll ?? '  stale_ms: 0\n  min_interval_ms: 0'}
providers:
  - id: sandbox
    type: sandbox
    generation_seconds: ${extra.generationSeconds ?? 0.2}
models:
${extra.models ?? '  sora-2:\n    - provider: sandbox\n  sandbox-video:\n    - provider: sandbox'}
`;
}

/** Polls until `check` returns a value; bounded, no fixed sleeps beyond the poll interval. */
export async function eventually<T>(check: () => Promise<T | undefined>, { timeoutMs = 10_000, intervalMs = 20 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}
