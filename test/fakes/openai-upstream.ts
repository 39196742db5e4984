import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { sendBytes } from './fake-cdn.js';
import { parseJson, readBody, startFakeServer } from './fake-http.js';

/**
 * A fake OpenAI-shaped `/v1/videos` upstream: a real node:http server on
 * 127.0.0.1 that speaks a dialect (OpenAI's own by default; see
 * mintlify-upstream.ts for another). The core (`startOpenAIShapedFake`) is
 * configurable so other OpenAI-like families can reuse it with their own
 * status words, error bodies, ids and validation.
 *
 * Behaviour that matters to tests:
 * - `Authorization: Bearer <key>` is checked on every call, as the real service does;
 *   a job is visible only to the key that created it (another valid key gets 404).
 * - Each job walks its steps one status GET at a time (create answers step 0).
 * - Content exists only once the job's current step is `completed`; bytes are
 *   deterministic per job and variant (`fake.bytes(id, variant)`), with Range support.
 * - Knobs: `failNext(verb, reply)`, `rejectKey(key)`, `steps`, `ids`, `contentRedirect`
 *   (pair it with fake-cdn.ts to serve content from another origin).
 */

export type FakeStatus = 'queued' | 'in_progress' | 'completed' | 'failed';
export type FakeVerb = 'create' | 'status' | 'content' | 'remix' | 'delete';
export type FakeVariant = 'video' | 'thumbnail' | 'spritesheet';

export interface FakeStep {
  status: FakeStatus;
  progress?: number;
  /** Overrides the status word on the wire (e.g. an undocumented word). */
  word?: string;
  /** The job's error object when failed (dialect default otherwise). */
  error?: unknown;
}

export interface FakeJob {
  id: string;
  key: string;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  remixedFrom: string | null;
  createdAt: number;
  polls: number;
  steps: FakeStep[];
  inputReference?: RecordedPart;
}

export interface RecordedPart {
  name: string;
  value?: string;
  filename?: string;
  type?: string;
  data?: Buffer;
}

export interface RecordedRequest {
  method: string;
  /** The raw request target as received (percent-encoding intact). */
  rawUrl: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json?: unknown;
  parts?: RecordedPart[];
  verb?: FakeVerb;
  /** The job id the path named, decoded. */
  jobId?: string;
}

export interface ScriptedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket instead of answering (connection reset). */
  reset?: boolean;
  /** Never answer (the client's headers timeout fires). */
  hang?: boolean;
}

export interface ErrorSpec {
  message: string;
  type: string;
  code: string | null;
  param: string | null;
}

export interface CreateFields {
  encoding: 'multipart' | 'json';
  prompt?: string;
  model?: string;
  seconds?: string;
  size?: string;
  file?: RecordedPart;
  /** Text parts/keys named input_reference… (bracketed or not). */
  referenceText: Record<string, string>;
}

export interface OpenAIShapedDialect {
  name: string;
  /** Path prefix of the API, e.g. `/v1`; the fake's `url` is origin + prefix. */
  prefix: string;
  words: Readonly<Record<FakeStatus, string>>;
  errorBody(status: number, e: ErrorSpec): unknown;
  remix: boolean;
  delete: boolean;
  /** Defaults for a create that leaves them out. */
  defaults: { model: string; seconds: string; size: string };
  /** Returns an error reply for a create the real provider would refuse. */
  validate(fields: CreateFields): { status: number; error: ErrorSpec } | undefined;
  newId(): string;
  notReady: { status: number; error: ErrorSpec };
  notFound: { status: number; error: ErrorSpec };
  unauthorized: { status: number; body: unknown };
  videoObject(job: FakeJob, step: FakeStep, word: string): Record<string, unknown>;
  /** The job error when a failed step names none. */
  defaultFailure: unknown;
}

export interface FakeOptions {
  /** Valid upstream keys. */
  keys?: string[];
  /** Steps per job; default: queued → in_progress → completed, or → failed when the prompt contains `#fail`. */
  steps?: (job: Omit<FakeJob, 'steps' | 'polls'>) => FakeStep[];
  /** Id generator override (e.g. ids containing `:`). */
  ids?: () => string;
  /** Serve content by redirecting to this URL (e.g. a fake CDN on another port). */
  contentRedirect?: (job: FakeJob, variant: FakeVariant) => string | undefined;
}

export interface OpenAIShapedFake {
  /** Base URL exactly as config `base_url` takes it (origin + prefix). */
  url: string;
  origin: string;
  requests: RecordedRequest[];
  jobs: Map<string, FakeJob>;
  /** Deterministic content bytes for a job and variant. */
  bytes(jobId: string, variant?: FakeVariant): Buffer;
  /** The next `times` requests of `verb` get `reply` instead of normal handling. */
  failNext(verb: FakeVerb, reply: ScriptedReply, times?: number): void;
  /** Every request carrying `key` is answered 401 (or `status`) in the dialect's shape. */
  rejectKey(key: string, status?: number): void;
  options: FakeOptions;
  /** Requests that concern one job (by decoded id), in order. */
  requestsFor(jobId: string): RecordedRequest[];
  close(): Promise<void>;
}

const FIXTURES = new URL('../fixtures/providers/', import.meta.url);

/** A recorded fixture file, test/fixtures/providers/<family>/<name>.json (source, status, body, …). */
export function fixtureFile<T = { status: number; body: unknown }>(family: string, name: string): T {
  return JSON.parse(readFileSync(new URL(`${family}/${name}.json`, FIXTURES), 'utf8')) as T;
}

/** The `body` of a recorded fixture. */
export function fixtureBody<T = unknown>(family: string, name: string): T {
  return fixtureFile<{ body: T }>(family, name).body;
}

const CONTENT_TYPES: Record<FakeVariant, string> = { video: 'video/mp4', thumbnail: 'image/webp', spritesheet: 'image/jpeg' };
const CONTENT_SIZES: Record<FakeVariant, number> = { video: 200_000, thumbnail: 3_000, spritesheet: 9_000 };

/** Pseudo-random but reproducible bytes: sha256 in counter mode over a seed. */
export function deterministicBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0, i = 0; off < size; i++) {
    const block = createHash('sha256').update(`${seed}:${i}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

export function defaultSteps(job: { prompt: string }): FakeStep[] {
  if (job.prompt.includes('#fail')) return [{ status: 'queued', progress: 0 }, { status: 'in_progress', progress: 50 }, { status: 'failed', progress: 50 }];
  return [{ status: 'queued', progress: 0 }, { status: 'in_progress', progress: 50 }, { status: 'completed', progress: 100 }];
}

/** PNG width/height from the IHDR chunk, when `data` is a PNG. */
export function pngSize(data: Buffer): { width: number; height: number } | undefined {
  if (data.length < 24 || data.readUInt32BE(0) !== 0x89504e47 || data.toString('ascii', 12, 16) !== 'IHDR') return undefined;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

async function parseMultipart(body: Buffer, contentType: string): Promise<RecordedPart[]> {
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  const parts: RecordedPart[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') parts.push({ name, value });
    else parts.push({ name, filename: value.name, type: value.type, data: Buffer.from(await value.arrayBuffer()) });
  }
  return parts;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

export async function startOpenAIShapedFake(dialect: OpenAIShapedDialect, options: FakeOptions = {}): Promise<OpenAIShapedFake> {
  const keys = new Set(options.keys ?? ['upstream-key-1', 'upstream-key-2']);
  const rejected = new Map<string, number>();
  const scripted = new Map<FakeVerb, ScriptedReply[]>();
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, FakeJob>();
  const bytesCache = new Map<string, Buffer>();
  const bytes = (jobId: string, variant: FakeVariant = 'video') => {
    const k = `${jobId}:${variant}`;
    let b = bytesCache.get(k);
    if (!b) bytesCache.set(k, (b = deterministicBytes(`${dialect.name}:${k}`, CONTENT_SIZES[variant])));
    return b;
  };
  const stepOf = (job: FakeJob) => job.steps[Math.min(job.polls, job.steps.length - 1)]!;
  const err = (res: ServerResponse, status: number, e: ErrorSpec) => sendJson(res, status, dialect.errorBody(status, e));

  const render = (job: FakeJob) => {
    const step = stepOf(job);
    return dialect.videoObject(job, step, step.word ?? dialect.words[step.status]);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> => {
    const prefix = dialect.prefix;
    if (!rec.path.startsWith(`${prefix}/videos`)) return err(res, 404, { message: `Unknown route ${rec.path}`, type: 'invalid_request_error', code: 'unknown_url', param: null });
    const rest = rec.path.slice(`${prefix}/videos`.length);
    const m = /^\/([^/]+)(\/content|\/remix)?$/.exec(rest);
    if (rest === '' && req.method === 'POST') rec.verb = 'create';
    else if (m && req.method === 'GET' && !m[2]) rec.verb = 'status';
    else if (m && req.method === 'GET' && m[2] === '/content') rec.verb = 'content';
    else if (m && req.method === 'POST' && m[2] === '/remix' && dialect.remix) rec.verb = 'remix';
    else if (m && req.method === 'DELETE' && !m[2] && dialect.delete) rec.verb = 'delete';
    if (m) rec.jobId = decodeURIComponent(m[1]!);

    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const key = auth?.[1];
    if (!key || !keys.has(key)) return sendJson(res, dialect.unauthorized.status, dialect.unauthorized.body);
    const rejectStatus = rejected.get(key);
    if (rejectStatus !== undefined) return sendJson(res, rejectStatus, dialect.unauthorized.body);

    if (rec.verb === undefined) return err(res, 404, { message: `Unknown route ${req.method} ${rec.path}`, type: 'invalid_request_error', code: 'unknown_url', param: null });
    const queue = scripted.get(rec.verb);
    const reply = queue?.shift();
    if (reply) {
      if (reply.reset) {
        req.socket.destroy();
        return;
      }
      if (reply.hang) return;
      return sendJson(res, reply.status, reply.body ?? '', reply.headers);
    }

    if (rec.verb === 'create') {
      const ct = String(req.headers['content-type'] ?? '');
      const fields: CreateFields = { encoding: ct.startsWith('multipart/') ? 'multipart' : 'json', referenceText: {} };
      if (fields.encoding === 'multipart') {
        for (const p of rec.parts ?? []) {
          if (p.name.startsWith('input_reference')) {
            if (p.data !== undefined) fields.file = p;
            else fields.referenceText[p.name] = p.value ?? '';
          } else if (p.name === 'prompt' || p.name === 'model' || p.name === 'seconds' || p.name === 'size') fields[p.name] = p.value;
        }
      } else {
        const j = (rec.json ?? {}) as Record<string, unknown>;
        for (const f of ['prompt', 'model', 'seconds', 'size'] as const) if (typeof j[f] === 'string') fields[f] = j[f];
        if (j.input_reference !== undefined) fields.referenceText.input_reference = JSON.stringify(j.input_reference);
      }
      const invalid = dialect.validate(fields);
      if (invalid) return err(res, invalid.status, invalid.error);
      const base = {
        id: options.ids?.() ?? dialect.newId(),
        key,
        model: fields.model ?? dialect.defaults.model,
        prompt: fields.prompt ?? '',
        seconds: fields.seconds ?? dialect.defaults.seconds,
        size: fields.size ?? dialect.defaults.size,
        remixedFrom: null,
        createdAt: Math.floor(Date.now() / 1000),
        inputReference: fields.file,
      };
      const job: FakeJob = { ...base, polls: 0, steps: (options.steps ?? defaultSteps)(base) };
      jobs.set(job.id, job);
      return sendJson(res, 200, render(job));
    }

    const job = jobs.get(rec.jobId!);
    if (!job || job.key !== key) return err(res, dialect.notFound.status, dialect.notFound.error);

    if (rec.verb === 'status') {
      job.polls++;
      return sendJson(res, 200, render(job));
    }
    if (rec.verb === 'delete') {
      jobs.delete(job.id);
      return sendJson(res, 200, { id: job.id, object: 'video.deleted', deleted: true });
    }
    if (rec.verb === 'remix') {
      if (stepOf(job).status !== 'completed') return err(res, 400, { message: 'Video is not completed yet.', type: 'invalid_request_error', code: null, param: null });
      const prompt = (rec.json as { prompt?: unknown } | undefined)?.prompt;
      if (typeof prompt !== 'string' || prompt === '') return err(res, 400, { message: "Missing required parameter: 'prompt'.", type: 'invalid_request_error', code: 'missing_required_parameter', param: 'prompt' });
      const base = { ...job, id: options.ids?.() ?? dialect.newId(), prompt, remixedFrom: job.id, createdAt: Math.floor(Date.now() / 1000) };
      const remixed: FakeJob = { ...base, polls: 0, steps: (options.steps ?? defaultSteps)(base) };
      jobs.set(remixed.id, remixed);
      return sendJson(res, 200, render(remixed));
    }
    // content
    if (stepOf(job).status !== 'completed') return err(res, dialect.notReady.status, dialect.notReady.error);
    const variant = (rec.query.get('variant') ?? 'video') as FakeVariant;
    if (!(variant in CONTENT_TYPES)) return err(res, 400, { message: `Invalid value: '${variant}'.`, type: 'invalid_request_error', code: 'invalid_value', param: 'variant' });
    const redirect = options.contentRedirect?.(job, variant);
    if (redirect) {
      res.writeHead(302, { location: redirect });
      res.end();
      return;
    }
    sendBytes(res, req.headers.range, bytes(job.id, variant), { 'content-type': CONTENT_TYPES[variant] });
  };

  const server = await startFakeServer(
    async (req, res) => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://fake');
      const rec: RecordedRequest = { method: req.method ?? 'GET', rawUrl: req.url ?? '/', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      const ct = String(req.headers['content-type'] ?? '');
      if (ct.startsWith('multipart/form-data')) rec.parts = await parseMultipart(body, ct).catch(() => []);
      else if (ct.includes('json') && body.length > 0) rec.json = parseJson(body);
      requests.push(rec);
      await handle(req, res, rec);
    },
    (res, e) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(e), type: 'server_error', param: null, code: null } });
    },
  );
  const origin = server.origin;

  return {
    url: `${origin}${dialect.prefix}`,
    origin,
    requests,
    jobs,
    bytes,
    options,
    failNext(verb, reply, times = 1) {
      const q = scripted.get(verb) ?? [];
      for (let i = 0; i < times; i++) q.push(reply);
      scripted.set(verb, q);
    },
    rejectKey(key, status = 401) {
      rejected.set(key, status);
    },
    requestsFor: (jobId) => requests.filter((r) => r.jobId === jobId),
    close: server.close,
  };
}

// ---------------------------------------------------------------------------
// OpenAI's own dialect (openai-videos-api.md, providers.md §1).

const OPENAI_MODELS = ['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08'];
const OPENAI_SECONDS = ['4', '8', '12', '16', '20'];
const OPENAI_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024', '1920x1080', '1080x1920'];
const invalid = (param: string, value: string, allowed: string[]) => ({
  status: 400,
  error: {
    message: `Invalid value: '${value}'. Supported values are: ${allowed.map((a) => `'${a}'`).join(', ')}.`,
    type: 'invalid_request_error',
    code: 'invalid_value',
    param,
  },
});
const openAIError = (name: string): ErrorSpec => fixtureBody<{ error: ErrorSpec }>('openai', name).error;

export const OPENAI_DIALECT: OpenAIShapedDialect = {
  name: 'openai',
  prefix: '/v1',
  words: { queued: 'queued', in_progress: 'in_progress', completed: 'completed', failed: 'failed' },
  errorBody: (_status, e) => ({ error: { message: e.message, type: e.type, param: e.param, code: e.code } }),
  remix: true,
  delete: true,
  defaults: { model: 'sora-2', seconds: '4', size: '720x1280' },
  validate(f) {
    if (f.prompt === undefined || f.prompt === '') {
      return { status: 400, error: { message: "Missing required parameter: 'prompt'.", type: 'invalid_request_error', code: 'missing_required_parameter', param: 'prompt' } };
    }
    if (f.model !== undefined && !OPENAI_MODELS.includes(f.model)) return invalid('model', f.model, OPENAI_MODELS.slice(0, 2));
    if (f.seconds !== undefined && !OPENAI_SECONDS.includes(f.seconds)) return invalid('seconds', f.seconds, OPENAI_SECONDS.slice(0, 3));
    if (f.size !== undefined && !OPENAI_SIZES.includes(f.size)) return invalid('size', f.size, OPENAI_SIZES.slice(0, 4));
    if ('input_reference' in f.referenceText && f.encoding === 'multipart') return { status: 400, error: openAIError('error-input-reference-string') };
    if (f.file?.data) {
      const dims = pngSize(f.file.data);
      const [w, h] = (f.size ?? '720x1280').split('x').map(Number);
      if (dims && (dims.width !== w || dims.height !== h)) return { status: 400, error: openAIError('error-inpaint-mismatch') };
    }
    return undefined;
  },
  newId: () => `video_${randomBytes(24).toString('hex')}`,
  notReady: { status: 404, error: openAIError('error-content-not-ready') },
  notFound: { status: 404, error: openAIError('error-not-found') },
  unauthorized: { status: 401, body: fixtureBody('openai', 'error-invalid-key') },
  defaultFailure: fixtureBody<{ error: unknown }>('openai', 'status-failed-moderation').error,
  videoObject(job, step, word) {
    const done = step.status === 'completed' || step.status === 'failed';
    const completedAt = done ? job.createdAt + 60 : null;
    return {
      ...fixtureBody<Record<string, unknown>>('openai', 'create-queued'),
      id: job.id,
      created_at: job.createdAt,
      completed_at: completedAt,
      expires_at: step.status === 'completed' ? completedAt! + 3600 : null,
      error: step.status === 'failed' ? (step.error ?? this.defaultFailure) : null,
      model: job.model,
      progress: step.progress ?? (step.status === 'completed' ? 100 : 0),
      prompt: job.prompt,
      remixed_from_video_id: job.remixedFrom,
      seconds: job.seconds,
      size: job.size,
      status: word,
    };
  },
};

export function startFakeOpenAI(options: FakeOptions = {}): Promise<OpenAIShapedFake> {
  return startOpenAIShapedFake(OPENAI_DIALECT, options);
}
