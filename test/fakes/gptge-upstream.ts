import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { deflateSync } from 'node:zlib';
import { sendBytes } from './fake-cdn.js';
import { bearerKey, fakeControls, parseJson, readBody, startFakeServer, type FakeResponse } from './fake-http.js';
import { fixtureFile } from './openai-upstream.js';

export type { FakeResponse } from './fake-http.js';

/**
 * A fake gpt.ge / new-api reseller (providers.md §2.8) and, in `storyboard`
 * mode, the storyboard reseller of seed 002 (§3.3). It speaks the family's
 * dialect on `/v1/videos`: JSON and multipart create, status, content (bytes
 * or JSON with a URL), remix; new-api's two error shapes; its validation order.
 * Bodies come from the recorded fixtures in test/fixtures/providers/gptge/.
 *
 * Magic prompts: `#fail-moderation` ends failed, `#upstream-429` gets new-api's
 * 429, `#unknown-status` reports an unknown word on its first poll.
 */

export type GptgeMode = 'v1' | 'v2' | 'storyboard';

export interface FixtureFile {
  source: string;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export function gptgeFixture(name: string): FixtureFile {
  return fixtureFile<FixtureFile>('gptge', name);
}

export interface RecordedPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
  /** `data` as UTF-8, for text parts. */
  value: string;
}

export interface RecordedRequest {
  method: string;
  /** The request target exactly as sent (percent-encoding intact). */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json?: unknown;
  parts?: RecordedPart[];
  /** The bearer key the request carried. */
  key?: string | undefined;
}

export interface FakeJob {
  id: string;
  key: string;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  createdAt: number;
  polls: number;
  phases: Phase[];
  remixedFrom: string | null;
  /** What arrived as input_reference: a file part, a URL (string or bracketed), or nothing. */
  inputReference?: { kind: 'file'; filename?: string; contentType?: string; data: Buffer } | { kind: 'url'; url: string; form: string };
}

type Phase = { word: 'queued' | 'running' | 'completed' | 'failed' | 'unknown'; progress: number };

export interface GptgeFakeOptions {
  mode?: GptgeMode;
  /** Keys the fake accepts (Authorization: Bearer …). */
  keys?: string[];
  /** Models served; default sora-2, sora-2-pro (+ veo-3.1 in storyboard mode). */
  models?: string[];
  /** Id style; default `video` (v1), `task` (v2) or `colon` (`sora-2:task_…`, storyboard). */
  idStyle?: 'video' | 'task' | 'colon' | 'uuid';
  /** Status words; defaults per mode (storyboard says `processing`). */
  words?: Partial<Record<'queued' | 'running' | 'completed' | 'failed', string>>;
  /** Polls answered in progress before the terminal state (default 2). */
  runningPolls?: number;
  /** How /content answers: the bytes, or JSON carrying a URL. */
  content?: 'bytes' | 'json';
  /** Which field of a completed status carries the file URL (default none; `video_url` in storyboard mode). */
  urlField?: 'none' | 'video_url' | 'url' | 'metadata.url';
  /** Where the file URLs point: this fake's own `/files/…` (default) or another origin (a CDN fake). */
  fileUrl?: (job: FakeJob) => string;
  /** Task-error body shape of the storyboard reseller: new-api flat (default) or OpenAI envelope. */
  errorDialect?: 'flat' | 'envelope';
  /** The finished video; default 256 KiB of random bytes behind an MP4 `ftyp` box. */
  video?: Buffer;
}

export interface FakeGptge {
  /** `http://127.0.0.1:PORT/v1`, exactly as config `base_url` takes it. */
  url: string;
  origin: string;
  mode: GptgeMode;
  requests: RecordedRequest[];
  jobs: Map<string, FakeJob>;
  video: Buffer;
  videoSha256: string;
  /** Answers `status` for the next `times` requests of `verb` instead of the normal behaviour. */
  failNext(verb: 'create' | 'status' | 'content' | 'remix', response: FakeResponse, times?: number): void;
  /** From now on this key gets new-api's 401. */
  revokeKey(key: string): void;
  /** Requests of one verb (create = POST /v1/videos). */
  requestsOf(verb: 'create' | 'status' | 'content' | 'remix' | 'files'): RecordedRequest[];
  close(): Promise<void>;
}

/** Pixel size of a PNG, JPEG or WebP image, or undefined. */
export function imageSize(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length > 24 && buf.readUInt32BE(0) === 0x89504e47) return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  if (buf.length > 4 && buf[0] === 0xff && buf[1] === 0xd8) {
    let i = 2;
    while (i + 9 < buf.length && buf[i] === 0xff) {
      const marker = buf[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
      }
      i += 2 + buf.readUInt16BE(i + 2);
    }
    return undefined;
  }
  if (buf.length > 30 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = buf.toString('latin1', 12, 16);
    if (chunk === 'VP8X') return { width: 1 + buf.readUIntLE(24, 3), height: 1 + buf.readUIntLE(27, 3) };
    if (chunk === 'VP8 ') return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = buf.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
  }
  return undefined;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const pngChunk = (type: string, data: Buffer) => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
};

/** A valid grey PNG of the given pixel size (test reference images of any size). */
export function makePng(width: number, height: number, shade = 128): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (greyscale), no interlace
  const raw = Buffer.alloc((width + 1) * height, shade);
  for (let y = 0; y < height; y++) raw[y * (width + 1)] = 0; // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** multipart/form-data → parts, by raw bytes (no newline rewriting). */
export function parseMultipart(body: Buffer, contentType: string): RecordedPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return [];
  const delimiter = Buffer.from(`--${b}`);
  const between = Buffer.from(`\r\n--${b}`);
  const parts: RecordedPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    pos += delimiter.length;
    if (body.toString('latin1', pos, pos + 2) === '--') break;
    pos += 2;
    const next = body.indexOf(between, pos);
    if (next === -1) break;
    const chunk = body.subarray(pos, next);
    const headerEnd = chunk.indexOf('\r\n\r\n');
    const head = chunk.subarray(0, headerEnd).toString('utf8');
    const data = chunk.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), ...(type !== undefined ? { contentType: type } : {}), data, value: data.toString('utf8') });
    pos = next + 2;
  }
  return parts;
}

export function defaultVideo(): Buffer {
  const ftyp = Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex');
  return Buffer.concat([ftyp, randomBytes(256 * 1024)]);
}

const OPENAI_SECONDS = ['4', '8', '12'];
const STORYBOARD_SECONDS: Record<string, string[]> = { 'sora-2': ['10', '15'], 'sora-2-pro': ['10', '15', '25'], 'veo-3.1': ['4', '8', '12'] };
const SMALL_SIZES = ['720x1280', '1280x720'];
const ALL_SIZES = [...SMALL_SIZES, '1024x1792', '1792x1024'];
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const randomOf = (alphabet: string, n: number) => Array.from(randomBytes(n), (x) => alphabet[x % alphabet.length]).join('');

export async function startFakeGptge(options: GptgeFakeOptions = {}): Promise<FakeGptge> {
  const mode = options.mode ?? 'v2';
  const storyboard = mode === 'storyboard';
  const controls = fakeControls(options.keys, ['create', 'status', 'content', 'remix']);
  const models = new Set(options.models ?? (storyboard ? ['sora-2', 'sora-2-pro', 'veo-3.1'] : ['sora-2', 'sora-2-pro']));
  const idStyle = options.idStyle ?? (mode === 'v1' ? 'video' : storyboard ? 'colon' : 'task');
  const words = {
    queued: 'queued',
    running: storyboard ? 'processing' : 'in_progress',
    completed: 'completed',
    failed: 'failed',
    ...options.words,
  };
  const runningPolls = options.runningPolls ?? 2;
  const urlField = options.urlField ?? (storyboard ? 'video_url' : 'none');
  const errorDialect = options.errorDialect ?? 'flat';
  const video = options.video ?? defaultVideo();
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, FakeJob>();
  let origin = '';

  const fileUrl = options.fileUrl ?? ((job: FakeJob) => `${origin}/files/${encodeURIComponent(job.id)}.mp4`);

  const send = (res: ServerResponse, r: FakeResponse) => {
    const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    res.writeHead(r.status, { 'content-type': typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...r.headers }).end(body);
  };
  const fixture = (name: string, patch?: (body: Record<string, unknown>) => void): FakeResponse => {
    const f = gptgeFixture(name);
    const body = structuredClone(f.body) as Record<string, unknown>;
    patch?.(body);
    return { status: f.status, body, ...(f.headers ? { headers: f.headers } : {}) };
  };
  /** A task error: new-api's flat shape, or the storyboard reseller's envelope when configured. */
  const taskError = (status: number, code: string, message: string): FakeResponse =>
    storyboard && errorDialect === 'envelope'
      ? { status, body: { error: { message, type: status === 429 ? 'rate_limit_error' : 'invalid_request_error', code } } }
      : { status, body: { code, message, data: null } };
  /** OpenAI's own 400, as new-api relays it: embedded as a string in `fail_to_fetch_task`. */
  const relayedOpenAI = (message: string, param: string | null, code: string | null): FakeResponse =>
    storyboard && errorDialect === 'envelope'
      ? { status: 400, body: { error: { message, type: 'invalid_request_error', code: code ?? 'invalid_parameter' } } }
      : taskError(400, 'fail_to_fetch_task', JSON.stringify({ error: { message, type: 'invalid_request_error', param, code } }));

  const newId = (model: string) => {
    switch (idStyle) {
      case 'video':
        return `video_${randomBytes(24).toString('hex')}`;
      case 'uuid':
        return `video_${crypto.randomUUID()}`;
      case 'colon':
        return `${model}:task_${randomOf(BASE32, 26)}`;
      default:
        return `task_${randomOf(ALNUM, 32)}`;
    }
  };

  const phaseOf = (job: FakeJob): Phase => job.phases[Math.min(job.polls, job.phases.length - 1)]!;

  const videoBody = (job: FakeJob): Record<string, unknown> => {
    const phase = phaseOf(job);
    const word = phase.word === 'running' ? words.running : phase.word === 'unknown' ? 'rendering' : words[phase.word];
    const createdS = Math.floor(job.createdAt / 1000);
    const body: Record<string, unknown> = {
      id: job.id,
      object: 'video',
      model: job.model,
      status: word,
      progress: phase.progress,
      created_at: createdS,
      completed_at: phase.word === 'completed' ? createdS + 70 : null,
      expires_at: phase.word === 'completed' ? createdS + 70 + 3600 : null,
      error: null,
      remixed_from_video_id: job.remixedFrom,
      seconds: job.seconds,
      size: job.size,
    };
    if (mode === 'v2' || idStyle === 'task') body.task_id = job.id;
    if (storyboard) body.quality = 'standard';
    if (phase.word === 'failed') {
      body.error = storyboard
        ? { message: '视频内容审核未通过，请修改提示词后重试' }
        : { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' };
    }
    if (phase.word === 'completed') {
      if (urlField === 'video_url') body.video_url = fileUrl(job);
      if (urlField === 'url') body.url = fileUrl(job);
      if (urlField === 'metadata.url') body.metadata = { url: fileUrl(job) };
    }
    if (mode === 'v1') for (const k of Object.keys(body)) if (body[k] === null) delete body[k]; // v1 drops zero/null keys
    return body;
  };

  const authorised = (rec: RecordedRequest): FakeResponse | undefined => {
    if (controls.accepts(rec.key)) return undefined;
    return storyboard && errorDialect === 'envelope' ? fixture('error-storyboard-auth') : fixture('error-invalid-token');
  };

  const handleCreate = (rec: RecordedRequest, key: string): FakeResponse => {
    const ct = rec.headers['content-type'] ?? '';
    const fields: Record<string, string> = {};
    let file: RecordedPart | undefined;
    if (ct.startsWith('multipart/form-data')) {
      for (const p of rec.parts ?? []) {
        if (p.filename !== undefined) file = p;
        else fields[p.name] = p.value;
      }
    } else if (ct.startsWith('application/json')) {
      const json = rec.json;
      if (typeof json !== 'object' || json === null) return taskError(400, 'invalid_json', 'invalid character looking for beginning of value');
      for (const [k, v] of Object.entries(json)) {
        // new-api's TaskSubmitReq: seconds and input_reference are strings; a number or object fails to decode.
        if ((k === 'seconds' || k === 'input_reference' || k === 'prompt') && typeof v !== 'string') {
          return taskError(400, 'invalid_json', `json: cannot unmarshal ${typeof v} into Go struct field TaskSubmitReq.${k} of type string`);
        }
        if (typeof v === 'string') fields[k] = v;
      }
    } else {
      return taskError(400, 'invalid_request', `unsupported content type ${ct}`);
    }
    const model = fields.model ?? '';
    if (model === '') return { status: 400, body: { error: { message: 'Model name not specified, model name cannot be empty (request id: 1)', type: 'new_api_error', code: '' } } };
    if (!models.has(model)) {
      return fixture('error-model-not-found', (b) => {
        (b.error as Record<string, unknown>).message = `No available channel for model ${model} under group default (distributor) (request id: 2)`;
      });
    }
    const prompt = fields.prompt ?? '';
    if (prompt.trim() === '') return taskError(400, 'invalid_request', 'prompt is required');
    const size = fields.size ?? '720x1280';
    if (model === 'sora-2' && !SMALL_SIZES.includes(size)) return taskError(400, 'invalid_size', 'sora-2 size is invalid');
    if (model === 'sora-2-pro' && !ALL_SIZES.includes(size)) return taskError(400, 'invalid_size', 'sora-2-pro size is invalid');
    const seconds = fields.seconds ?? (storyboard ? '15' : '4');
    const allowed = storyboard ? STORYBOARD_SECONDS[model] ?? OPENAI_SECONDS : model.startsWith('veo') ? ['4', '6', '8'] : OPENAI_SECONDS;
    if (!allowed.includes(seconds)) {
      return relayedOpenAI(`Invalid value: '${seconds}'. Supported values are: ${allowed.map((s) => `'${s}'`).join(', ')}.`, 'seconds', 'invalid_value');
    }
    if (file) {
      const dims = imageSize(file.data);
      if (!dims || `${dims.width}x${dims.height}` !== size) return relayedOpenAI('Inpaint image must match the requested width and height', null, null);
    }
    if (prompt.includes('#upstream-429')) return fixture('error-upstream-429');
    const id = newId(model);
    const terminal: Phase = prompt.includes('#fail-moderation') ? { word: 'failed', progress: storyboard ? 90 : 0 } : { word: 'completed', progress: 100 };
    const running = Array.from({ length: runningPolls }, (_, i): Phase => ({ word: 'running', progress: Math.round(((i + 1) * 90) / (runningPolls + 1)) }));
    if (prompt.includes('#unknown-status') && running.length > 0) running[0] = { word: 'unknown', progress: running[0]!.progress };
    const imageUrl = fields['input_reference[image_url]'] ?? fields.input_reference;
    const job: FakeJob = {
      id,
      key,
      model,
      prompt,
      seconds,
      size,
      createdAt: Date.now(),
      polls: 0,
      phases: [{ word: 'queued', progress: 0 }, ...running, terminal],
      remixedFrom: null,
      ...(file
        ? { inputReference: { kind: 'file' as const, ...(file.filename !== undefined ? { filename: file.filename } : {}), ...(file.contentType !== undefined ? { contentType: file.contentType } : {}), data: file.data } }
        : imageUrl !== undefined
          ? { inputReference: { kind: 'url' as const, url: imageUrl, form: fields['input_reference[image_url]'] !== undefined ? 'input_reference[image_url]' : 'input_reference' } }
          : {}),
    };
    jobs.set(id, job);
    const body = videoBody(job);
    return { status: 200, body, headers: mode === 'v1' ? {} : { 'x-new-api-other-ratios': JSON.stringify({ seconds: Number(seconds), size: 1 }) } };
  };

  /** new-api looks tasks up for the calling user: another key's task does not exist. */
  const jobFor = (id: string, key: string): FakeJob | undefined => {
    const job = jobs.get(id);
    return job && job.key === key ? job : undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const rawUrl = req.url ?? '/';
    const rec: RecordedRequest = { method: req.method ?? 'GET', rawUrl, headers: req.headers, body, key: bearerKey(req) };
    const ct = req.headers['content-type'] ?? '';
    if (ct.startsWith('multipart/form-data')) rec.parts = parseMultipart(body, ct);
    else if (ct.startsWith('application/json') && body.length > 0) rec.json = parseJson(body);
    requests.push(rec);

    const path = rawUrl.split('?')[0]!;
    const segments = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));

    if (segments[0] === 'files' && req.method === 'GET') {
      // The reseller's own file route needs the key, like every route on its origin.
      const denied = authorised(rec);
      if (denied) return send(res, denied);
      const id = segments[1]?.replace(/\.mp4$/, '') ?? '';
      if (!jobFor(id, rec.key!)) return send(res, { status: 404, body: { error: { message: 'Task not found', type: 'invalid_request_error' } } });
      return sendBytes(res, req.headers.range, video, { 'content-type': 'video/mp4' });
    }
    if (segments[0] !== 'v1' || segments[1] !== 'videos') return send(res, { status: 404, body: '404 page not found' });

    const denied = authorised(rec);
    if (denied) return send(res, denied);
    const key = rec.key!;
    const verb = req.method === 'POST' ? (segments.length === 2 ? 'create' : segments[3] === 'remix' ? 'remix' : '') : segments[3] === 'content' ? 'content' : segments.length === 3 ? 'status' : '';
    const override = verb ? controls.nextOverride(verb) : undefined;
    if (override) return send(res, override);

    if (verb === 'create') return send(res, handleCreate(rec, key));

    const id = segments[2] ?? '';
    const job = jobFor(id, key);
    if (verb === 'status') {
      if (!job) return send(res, fixture('error-task-not-exist'));
      job.polls++;
      return send(res, { status: 200, body: videoBody(job) });
    }
    if (verb === 'content') {
      if (!job) return send(res, fixture('error-content-task-not-found'));
      const phase = phaseOf(job);
      if (phase.word !== 'completed') {
        const internal = phase.word === 'queued' ? 'QUEUED' : phase.word === 'failed' ? 'FAILURE' : 'IN_PROGRESS';
        return send(res, { status: 400, body: { error: { message: `Task is not completed yet, current status: ${internal}`, type: 'invalid_request_error' } } });
      }
      if (options.content === 'json') {
        return send(res, { status: 200, body: { id: job.id, url: fileUrl(job), expires_at: Math.floor(job.createdAt / 1000) + 3670, status: 'ready' } });
      }
      const headers: Record<string, string> = { 'content-type': 'video/mp4', 'cache-control': 'public, max-age=86400' };
      if (storyboard) headers['content-disposition'] = `attachment; filename="${encodeURIComponent(job.id)}.mp4"`;
      return sendBytes(res, req.headers.range, video, headers);
    }
    if (verb === 'remix') {
      if (!job) return send(res, fixture('error-task-not-exist'));
      if (phaseOf(job).word !== 'completed') return send(res, taskError(400, 'invalid_request', 'source video is not completed'));
      const json = rec.json as { prompt?: unknown } | undefined;
      if (typeof json?.prompt !== 'string' || json.prompt.trim() === '') return send(res, taskError(400, 'invalid_request', 'prompt is required'));
      const remixId = newId(job.model);
      const remix: FakeJob = { ...job, id: remixId, prompt: json.prompt, polls: 0, createdAt: Date.now(), remixedFrom: job.id, phases: [{ word: 'queued', progress: 0 }, { word: 'completed', progress: 100 }] };
      delete remix.inputReference;
      jobs.set(remixId, remix);
      return send(res, { status: 200, body: videoBody(remix) });
    }
    return send(res, { status: 404, body: '404 page not found' });
  };

  const server = await startFakeServer(handle);
  origin = server.origin;

  const verbOf = (r: RecordedRequest): string => {
    const seg = r.rawUrl.split('?')[0]!.split('/').filter(Boolean);
    if (seg[0] === 'files') return 'files';
    if (r.method === 'POST') return seg.length === 2 ? 'create' : 'remix';
    return seg[3] === 'content' ? 'content' : 'status';
  };

  return {
    url: `${origin}/v1`,
    origin,
    mode,
    requests,
    jobs,
    video,
    videoSha256: createHash('sha256').update(video).digest('hex'),
    ...controls.knobs,
    requestsOf(verb) {
      return requests.filter((r) => verbOf(r) === verb);
    },
    close: server.close,
  };
}
