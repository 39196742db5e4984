import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTHER_KEY, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

/**
 * The contract as the official Python `openai` SDK (3.x) sees it: test/python/videos_sdk.py runs one scenario
 * per process against this file's Reelay and prints what it observed as JSON; the assertions live here.
 * The SDK lives in <repo>/.venv (test/python/install-sdk.sh, which .ci/run also runs).
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const SCRIPT = fileURLToPath(new URL('./videos_sdk.py', import.meta.url));
const INSTALL = fileURLToPath(new URL('./install-sdk.sh', import.meta.url));
const MEDIA = new URL('../../src/providers/sandbox/media/', import.meta.url);

const LIMITED_KEY = 'sk-test-carol-rpm-one-0001';
const LIST_KEY = 'sk-test-dave-lists-0002';
const UNKNOWN_ID = 'video_000000000000000000000000000000000000000000000';
/** All 13 keys of OpenAI's Video object. */
const VIDEO_KEYS = [
  'completed_at', 'created_at', 'error', 'expires_at', 'id', 'model', 'object',
  'progress', 'prompt', 'remixed_from_video_id', 'seconds', 'size', 'status',
];

const YAML = `
store:
  type: memory
keys:
  - name: alice
    key: ${TEST_KEY}
  - name: bob
    key: ${OTHER_KEY}
    models: [sandbox-video]
  - name: carol
    key: ${LIMITED_KEY}
    rpm: 1
  - name: dave
    key: ${LIST_KEY}
poll:
  stale_ms: 150
  min_interval_ms: 100
providers:
  - id: sandbox
    type: sandbox
    generation_seconds: 0.3
  - id: slow
    type: sandbox
    generation_seconds: 3600
models:
  sora-2:
    - provider: sandbox
  sandbox-video:
    - provider: sandbox
  slow-video:
    - provider: slow
`;

interface Exchange {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body_bytes: number;
  has_transfer_encoding: boolean;
  multipart_fields?: string[];
  body?: string;
  status?: number;
  poll_after_ms?: string | null;
  t_ms: number;
}
interface ObservedError {
  error_class: string | null;
  status_code?: number;
  code?: string | null;
  param?: string | null;
  type?: string | null;
  message?: string;
  request_id?: string | null;
  x_request_id?: string | null;
  retry_after?: string | null;
  result?: Record<string, unknown>;
}
type Video = Record<string, unknown> & { id: string; status: string };

let reelay: RunningReelay;

async function scenario<T>(name: string, env: Record<string, string> = {}): Promise<T> {
  try {
    const { stdout } = await run(PYTHON, [SCRIPT, name], {
      cwd: ROOT,
      timeout: 40_000,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '',
        PYTHONDONTWRITEBYTECODE: '1',
        REELAY_BASE_URL: reelay.baseURL,
        REELAY_KEY: TEST_KEY,
        REELAY_MODEL: 'sora-2',
        REELAY_SLOW_MODEL: 'slow-video',
        ...env,
      },
    });
    return JSON.parse(stdout) as T;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`python scenario ${name} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const mediaSha = async (file: string) => sha(await readFile(new URL(file, MEDIA)));

beforeAll(async () => {
  try {
    await run(PYTHON, ['-c', 'import openai'], { cwd: ROOT });
  } catch {
    try {
      await run('bash', [INSTALL], { cwd: ROOT, timeout: 170_000 });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(e.stderr?.trim() || `reelay: cannot install the Python openai SDK (${e.message}): the Python SDK tests need it`);
    }
  }
  reelay = await startReelay({ yaml: YAML });
}, 180_000);
afterAll(() => reelay?.close());

describe('python openai SDK', () => {
  it('create_and_poll: multipart create, paced by openai-poll-after-ms, ends completed with all 13 keys', async () => {
    const r = await scenario<{
      sdk_version: string;
      video: Video;
      keys: string[];
      fields_set: string[];
      wire_keys: string[];
      retrieve_content_type: string;
      retrieve_request_id: string;
      poll_count: number;
      polls: { t_ms: number; status: number; poll_after_ms: string | null }[];
      wire: Exchange[];
    }>('create_and_poll');

    expect(r.sdk_version).toMatch(/^3\./);
    expect(r.video).toMatchObject({
      object: 'video',
      status: 'completed',
      progress: 100,
      seconds: '4',
      size: '1280x720',
      model: 'sora-2',
      prompt: 'A calico cat playing a piano on stage\nShot 2: the crowd cheers', // the SDK sends the LF as is
      error: null,
      remixed_from_video_id: null,
    });
    expect(r.video.id).toMatch(/^video_[0-9a-f]{44}$/);
    expect(Number.isInteger(r.video.completed_at)).toBe(true);
    expect(r.video.expires_at as number).toBeGreaterThan(r.video.completed_at as number);
    expect(r.keys).toEqual(VIDEO_KEYS);
    // model_dump() lists declared fields even when absent: the server really sent all 13.
    expect(r.fields_set).toEqual(VIDEO_KEYS);
    expect(r.wire_keys).toEqual(VIDEO_KEYS);
    expect(r.retrieve_content_type).toMatch(/^application\/json/);
    expect(r.retrieve_request_id).toMatch(/^req_/);

    const create = r.wire.find((e) => e.method === 'POST' && e.path === '/v1/videos')!;
    expect(create.status).toBe(200);
    expect(create.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect([...(create.multipart_fields ?? [])].sort()).toEqual(['model', 'prompt', 'seconds', 'size']);

    // The SDK polled until completion. Running answers carry openai-poll-after-ms (min_interval_ms..stale_ms);
    // the SDK reads it from the FIRST poll only and reuses that interval for every later sleep.
    expect(r.poll_count).toBeGreaterThanOrEqual(1);
    expect(r.polls.at(-1)).toMatchObject({ status: 200, poll_after_ms: null });
    const running = r.polls.slice(0, -1);
    expect(running.length, 'a 0.3 s job is still running at the first poll').toBeGreaterThanOrEqual(1);
    for (const poll of running) {
      expect(Number(poll.poll_after_ms)).toBeGreaterThanOrEqual(100);
      expect(Number(poll.poll_after_ms)).toBeLessThanOrEqual(150);
    }
    const interval = Number(running[0]?.poll_after_ms);
    for (const [i, poll] of running.entries()) {
      expect(r.polls[i + 1]!.t_ms - poll.t_ms, `gap after poll ${i}`).toBeGreaterThanOrEqual(interval - 5);
    }
  });

  it('download_content: every variant byte-identical to the sandbox media, with its content type', async () => {
    const r = await scenario<{
      size: string;
      variants: Record<'video' | 'thumbnail' | 'spritesheet', { status: number; bytes: number; sha256: string; content_type: string; content_length: string }>;
      default_sha256: string;
      default_content_type: string;
    }>('download_content');

    expect(r.size).toBe('1280x720');
    // The video lasts the 4 s the client asked for; thumbnail and spritesheet are per size.
    const expected = { video: ['-4s.mp4', 'video/mp4'], thumbnail: ['.webp', 'image/webp'], spritesheet: ['.jpg', 'image/jpeg'] } as const;
    for (const [variant, [ext, type]] of Object.entries(expected)) {
      const got = r.variants[variant as keyof typeof expected];
      expect(got, variant).toMatchObject({ status: 200, content_type: type, sha256: await mediaSha(`1280x720${ext}`) });
      expect(Number(got.content_length), variant).toBe(got.bytes);
    }
    expect(r.default_sha256).toBe(await mediaSha('1280x720-4s.mp4'));
    expect(r.default_content_type).toBe('video/mp4');
  });

  it('list_pagination: auto-pagination with limit=2 visits every video exactly once, desc and asc', async () => {
    const r = await scenario<{
      created: string[];
      desc_ids: string[];
      asc_ids: string[];
      desc_list_requests: number;
      list_queries: string[];
      first_page: { ids: string[]; has_more: boolean; last_id: string };
    }>('list_pagination', { REELAY_KEY: LIST_KEY, REELAY_LIST_COUNT: '5' });

    expect(r.created).toHaveLength(5);
    expect(new Set(r.desc_ids).size).toBe(r.desc_ids.length);
    expect(r.desc_ids).toEqual([...r.created].reverse());
    expect(r.asc_ids).toEqual(r.created);
    expect(r.desc_list_requests).toBe(3); // 2 + 2 + 1
    expect(r.list_queries[0]).toBe('limit=2');
    expect(r.list_queries[1]).toBe(`limit=2&after=${r.created[3]}`);
    expect(r.first_page).toEqual({ ids: [r.created[4], r.created[3]], has_more: true, last_id: r.created[3] });
  });

  it('remix: links the new video to its source; a running source is BadRequestError video_not_ready', async () => {
    const r = await scenario<{ source_id: string; remix: Video; pending_status: string; not_ready: ObservedError; wire: Exchange[] }>('remix');

    expect(r.remix.id).not.toBe(r.source_id);
    expect(r.remix.id).toMatch(/^video_[0-9a-f]{44}$/);
    expect(r.remix).toMatchObject({ remixed_from_video_id: r.source_id, status: 'queued', size: '1280x720', prompt: 'the same lighthouse, at night' });
    const remixCall = r.wire.find((e) => e.path === `/v1/videos/${r.source_id}/remix`)!;
    expect(remixCall.headers['content-type']).toBe('application/json');
    expect(JSON.parse(remixCall.body!)).toEqual({ prompt: 'the same lighthouse, at night' });

    expect(['queued', 'in_progress']).toContain(r.pending_status);
    expect(r.not_ready).toMatchObject({ error_class: 'BadRequestError', status_code: 400, code: 'video_not_ready', type: 'invalid_request_error' });
  });

  it('delete: exact response, then NotFoundError and gone from list', async () => {
    const r = await scenario<{ id: string; delete: ObservedError; retrieve_after: ObservedError; listed_after: boolean; delete_wire: Exchange[] }>('delete');

    // The SDK sends DELETE with `Content-Type: application/json` and no body; that must be accepted.
    expect(r.delete_wire[0]).toMatchObject({ body_bytes: 0, headers: { 'content-type': 'application/json' } });
    expect(r.delete).toEqual({ error_class: null, result: { id: r.id, object: 'video.deleted', deleted: true } });
    expect(r.retrieve_after).toMatchObject({ error_class: 'NotFoundError', status_code: 404 });
    expect(r.listed_after).toBe(false);
  });

  it('errors: each failure maps to the right SDK exception with status, code, param and request_id', async () => {
    const { cases } = await scenario<{ cases: Record<string, ObservedError> }>('errors', {
      REELAY_RESTRICTED_KEY: OTHER_KEY,
      REELAY_LIMITED_KEY: LIMITED_KEY,
      REELAY_UNKNOWN_ID: UNKNOWN_ID,
    });

    const expected: Record<string, Partial<ObservedError>> = {
      bad_key: { error_class: 'AuthenticationError', status_code: 401 },
      unknown_id: { error_class: 'NotFoundError', status_code: 404 },
      bad_seconds: { error_class: 'BadRequestError', status_code: 400, param: 'seconds', type: 'invalid_request_error' },
      empty_prompt: { error_class: 'BadRequestError', status_code: 400, param: 'prompt', type: 'invalid_request_error' },
      unknown_model: { error_class: 'BadRequestError', status_code: 400, param: 'model', type: 'invalid_request_error' },
      forbidden_model: { error_class: 'PermissionDeniedError', status_code: 403 },
      rate_limit: { error_class: 'RateLimitError', status_code: 429 },
      content_not_ready: { error_class: 'NotFoundError', status_code: 404, code: 'video_not_ready' },
    };
    for (const [name, want] of Object.entries(expected)) {
      const got = cases[name];
      expect(got, `${name}: ${JSON.stringify(got)}`).toMatchObject(want);
      expect(got!.request_id, name).toMatch(/^req_/);
      expect(got!.x_request_id, name).toBe(got!.request_id);
      expect(got!.message?.length ?? 0, name).toBeGreaterThan(4);
    }
    expect(cases.rate_limit_first).toMatchObject({ error_class: null });
    expect(Number(cases.rate_limit!.retry_after)).toBeGreaterThan(0);
  });
});
