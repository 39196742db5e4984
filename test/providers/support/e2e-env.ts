import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type OpenAI from 'openai';
import { APIError } from 'openai';
import { expect } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { startReelay, TEST_KEY, type RunningReelay } from '../../helpers/reelay.js';

/**
 * What every provider e2e suite shares: the official SDK → Reelay → a fake
 * upstream over real HTTP. The provider's own YAML entry, fake and quirks stay
 * in its test file.
 */

export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const png720x1280 = (): Promise<Buffer> => readFile(new URL('../../fixtures/images/ref-720x1280.png', import.meta.url));

/**
 * Reelay's config around the given `providers:` and `models:` entries: one client
 * key (TEST_KEY), polling such that each retrieve is exactly one upstream poll
 * while the background poller stays out of the counts, and /readyz listing
 * credential health (the suites check keys leaving and rejoining the rotation).
 */
export function reelayYaml(providers: string, models: string): string {
  return `
readyz:
  details: true
keys:
  - name: alice
    key: ${TEST_KEY}
poll:
  stale_ms: 0
  min_interval_ms: 0
  # Each retrieve polls exactly once; the background poller stays out of the counts.
  initial_ms: 600000
  max_ms: 600000
providers:
${providers}
models:
${models}
`;
}

export interface ProviderYamlOptions {
  timeoutMs?: number;
  /** Further lines of the entry, each indented four spaces and ending in a newline. */
  extra?: string;
}

/** One `providers:` entry. */
export function providerYaml(type: string, id: string, url: string, keys: readonly string[], { timeoutMs = 2000, extra = '' }: ProviderYamlOptions = {}): string {
  return `  - id: ${id}
    type: ${type}
    base_url: ${url}
    api_keys: [${keys.join(', ')}]
    timeout_ms: ${timeoutMs}
${extra}`;
}

export interface E2EEnv<F> {
  fake: F;
  reelay: RunningReelay;
  client: OpenAI;
}

/** Reelay in front of an already started fake. */
export async function startE2E<F>(fake: F, yaml: string, clock?: Clock): Promise<E2EEnv<F>> {
  const reelay = await startReelay(clock ? { yaml, clock } : { yaml });
  return { fake, reelay, client: reelay.client() };
}

export async function stopE2E(env: E2EEnv<{ close(): Promise<void> }> | undefined): Promise<void> {
  await env?.reelay.close();
  await env?.fake.close();
}

/**
 * Retrieves until terminal (stale_ms 0: each retrieve is one upstream poll), bounded;
 * `beforeRetrieve` runs before each (e.g. to advance a manual clock).
 * `seen` is every status seen, `history` every video.
 */
export async function untilTerminal(
  client: OpenAI,
  id: string,
  beforeRetrieve?: () => void,
): Promise<{ video: OpenAI.Videos.Video; seen: string[]; history: OpenAI.Videos.Video[] }> {
  const history: OpenAI.Videos.Video[] = [];
  for (let i = 0; i < 20; i++) {
    beforeRetrieve?.();
    const video = await client.videos.retrieve(id);
    history.push(video);
    if (video.status === 'completed' || video.status === 'failed') return { video, seen: history.map((v) => v.status), history };
  }
  throw new Error(`video ${id} never finished; saw ${history.map((v) => v.status).join(', ')}`);
}

/** The upstream job created with `prompt`. */
export function jobByPrompt<J extends { prompt: string }>(fake: { jobs: Map<string, J> }, prompt: string): J {
  const job = [...fake.jobs.values()].find((j) => j.prompt === prompt);
  if (!job) throw new Error(`no upstream job for prompt ${JSON.stringify(prompt)}`);
  return job;
}

/** Everything a client was told by the failures `caught` saw in this test file (each file runs in its own process). */
const told: string[] = [];

/** What a failed call tells the client: the SDK's message, the envelope and every response header. */
const clientText = (err: APIError): string =>
  [err.message, JSON.stringify(err.error), JSON.stringify(err.headers ? Object.fromEntries(err.headers.entries()) : {})].join('\n');

/** The SDK error the call failed with (and remembered for toldClients); anything else is rethrown. */
export async function caught(p: Promise<unknown>): Promise<APIError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof APIError) {
      told.push(clientText(err));
      return err;
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** What clients were told by every failure `caught` has seen so far in this file. */
export const toldClients = (): readonly string[] => told;

/** The message of the error envelope Reelay answered with (the SDK prefixes err.message with the status). */
export const envelopeMessage = (err: APIError): string | undefined => (err.error as { message?: string } | undefined)?.message;

export async function download(client: OpenAI, id: string, headers?: Record<string, string>): Promise<{ res: Response; bytes: Buffer }> {
  const res = await client.videos.downloadContent(id, undefined, headers ? { headers } : undefined);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

function expectNoneOf(needles: readonly string[], texts: readonly string[]): void {
  for (const text of texts) for (const needle of needles) expect(text).not.toContain(needle);
}

/** No provider key anywhere a client or an operator can read it. */
export function expectNoKeys(keys: readonly string[], ...texts: string[]): void {
  expectNoneOf(keys, texts);
}

/**
 * No provider id (and so no credential fingerprint, `<id>:<hash>`) in what a
 * client reads; log lines may name providers, operators need them. Use ids
 * no message contains by chance: `up` is in every "upstream".
 */
export function expectNoProviderIds(ids: readonly string[], ...texts: string[]): void {
  expectNoneOf(ids, texts);
}
