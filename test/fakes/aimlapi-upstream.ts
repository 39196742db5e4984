import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { sendBytes } from './fake-cdn.js';
import { bearerKey, fakeControls, parseJson, readBody, startFakeServer, type FakeResponse } from './fake-http.js';
import { defaultVideo, imageSize } from './gptge-upstream.js';
import { fixtureFile } from './openai-upstream.js';

export type { FakeResponse } from './fake-http.js';

/**
 * A fake AI/ML API (providers.md §5.5): `POST /v2/video/generations` (JSON only,
 * validated against the §5.1 tables, NestJS error bodies) and
 * `GET /v2/video/generations?generation_id=` walking queued → generating →
 * completed (with `video.url` and `meta.usage`) or error. Finished videos are
 * served without auth from `/files/…` on this host, or from a CDN fake.
 *
 * Magic prompts: `#fail` ends in `status:"error"`, `#429` gets a rate limit,
 * `#maintenance` a 503.
 */

export interface AimlFixture {
  source: string;
  status: number;
  body: unknown;
}

export function aimlFixture(name: string): AimlFixture {
  return fixtureFile<AimlFixture>('aimlapi', name);
}

export interface AimlRequest {
  method: string;
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json?: unknown;
  key?: string | undefined;
}

export interface AimlJob {
  id: string;
  key: string;
  body: Record<string, unknown>;
  polls: number;
  phases: ('queued' | 'generating' | 'completed' | 'error')[];
}

export interface AimlFakeOptions {
  keys?: string[];
  /** HTTP status of a successful create (NestJS POST defaults to 201; the schema says 200). */
  createStatus?: 200 | 201;
  /** Polls answered as generating before the terminal state (default 2). */
  generatingPolls?: number;
  /** The word for "running" (schema: generating; sample clients: waiting, active, processing). */
  runningWord?: string;
  /** Where `video.url` points; default this fake's own `/files/…` route. */
  fileUrl?: (job: AimlJob) => string;
  video?: Buffer;
}

export interface FakeAimlapi {
  /** http://127.0.0.1:PORT: the host root, as config `base_url` takes it. */
  url: string;
  requests: AimlRequest[];
  jobs: Map<string, AimlJob>;
  video: Buffer;
  videoSha256: string;
  failNext(verb: 'create' | 'status', response: FakeResponse, times?: number): void;
  revokeKey(key: string): void;
  requestsOf(verb: 'create' | 'status' | 'files'): AimlRequest[];
  close(): Promise<void>;
}

type ModelRule = { durations: number[]; resolutions: string[]; image: 'required' | 'none' };
const SORA = [4, 8, 12];
const VEO = [4, 6, 8];
const MODELS: Record<string, ModelRule> = {
  'openai/sora-2-t2v': { durations: SORA, resolutions: ['720p'], image: 'none' },
  'openai/sora-2-i2v': { durations: SORA, resolutions: ['720p'], image: 'required' },
  'openai/sora-2-pro-t2v': { durations: SORA, resolutions: ['720p', '1080p'], image: 'none' },
  'openai/sora-2-pro-i2v': { durations: SORA, resolutions: ['720p', '1080p'], image: 'required' },
  'google/veo-3.1-t2v': { durations: VEO, resolutions: ['720p', '1080p'], image: 'none' },
  'google/veo-3.1-i2v': { durations: VEO, resolutions: ['720p', '1080p'], image: 'required' },
};
const KNOWN_KEYS = new Set(['model', 'prompt', 'duration', 'aspect_ratio', 'resolution', 'image_url', 'generate_audio', 'seed', 'negative_prompt']);
const PIXELS: Record<string, string> = { '16:9/720p': '1280x720', '9:16/720p': '720x1280', '16:9/1080p': '1792x1024', '9:16/1080p': '1024x1792' };

export async function startFakeAimlapi(options: AimlFakeOptions = {}): Promise<FakeAimlapi> {
  const controls = fakeControls(options.keys, ['create', 'status']);
  const requests: AimlRequest[] = [];
  const jobs = new Map<string, AimlJob>();
  const video = options.video ?? defaultVideo();
  const generatingPolls = options.generatingPolls ?? 2;
  let origin = '';
  const fileUrl = options.fileUrl ?? ((job: AimlJob) => `${origin}/files/${createHash('sha1').update(job.id).digest('hex')}.mp4`);

  const nest = (status: number, message: string | string[], path = '/v2/video/generations'): FakeResponse => ({
    status,
    body: { message, path, requestId: randomUUID(), statusCode: status, timestamp: new Date().toISOString() },
  });
  const fixture = (name: string): FakeResponse => {
    const f = aimlFixture(name);
    return { status: f.status, body: f.body };
  };
  const send = (res: ServerResponse, r: FakeResponse) =>
    res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...r.headers }).end(JSON.stringify(r.body));

  /** The validation error for a create body, or undefined when it is valid. */
  const validate = (json: unknown): FakeResponse | undefined => {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return nest(400, 'Body validation error: expected an object');
    const body = json as Record<string, unknown>;
    const extra = Object.keys(body).filter((k) => !KNOWN_KEYS.has(k));
    if (extra.length > 0) return nest(400, `Body validation error: Unrecognized key(s) in object: ${extra.map((k) => `'${k}'`).join(', ')}`);
    const rule = typeof body.model === 'string' ? MODELS[body.model] : undefined;
    if (!rule) {
      return nest(400, `Body validation error: model: Invalid enum value. Expected ${Object.keys(MODELS).map((m) => `'${m}'`).join(' | ')}, received '${String(body.model)}'`);
    }
    if (typeof body.prompt !== 'string' || body.prompt.trim() === '') return nest(400, 'Body validation error: prompt: Required');
    if (body.duration !== undefined && (typeof body.duration !== 'number' || !rule.durations.includes(body.duration))) {
      return nest(400, `Body validation error: duration: Invalid enum value. Expected ${rule.durations.join(' | ')}, received '${String(body.duration)}'`);
    }
    if (body.resolution !== undefined && !rule.resolutions.includes(String(body.resolution))) {
      return nest(400, `Body validation error: resolution: Invalid enum value. Expected ${rule.resolutions.map((r) => `'${r}'`).join(' | ')}, received '${String(body.resolution)}'`);
    }
    if (body.aspect_ratio !== undefined && body.aspect_ratio !== '16:9' && body.aspect_ratio !== '9:16') {
      return nest(400, `Body validation error: aspect_ratio: Invalid enum value. Expected '16:9' | '9:16', received '${String(body.aspect_ratio)}'`);
    }
    if (rule.image === 'required') {
      if (typeof body.image_url !== 'string') return nest(400, 'Body validation error: image_url: Required');
      const m = /^data:image\/(png|jpeg|webp);base64,(.+)$/.exec(body.image_url);
      if (m) {
        const dims = imageSize(Buffer.from(m[2]!, 'base64'));
        const want = PIXELS[`${String(body.aspect_ratio ?? '16:9')}/${String(body.resolution ?? (rule.resolutions.includes('1080p') ? '1080p' : '720p'))}`];
        if (!dims || `${dims.width}x${dims.height}` !== want) return nest(400, `The image size must match the requested resolution and aspect ratio (${want ?? 'unknown'}).`);
      } else if (!/^https?:\/\//.test(body.image_url)) {
        return nest(400, ['image_url must be a URL address or a base64 image']);
      }
    } else if (body.image_url !== undefined) {
      return nest(400, "Body validation error: Unrecognized key(s) in object: 'image_url'");
    }
    return undefined;
  };

  const generation = (job: AimlJob): Record<string, unknown> => {
    const phase = job.phases[Math.min(job.polls, job.phases.length - 1)]!;
    const word = phase === 'generating' ? options.runningWord ?? 'generating' : phase;
    const out: Record<string, unknown> = { id: job.id, status: word, video: null, error: null };
    if (phase === 'completed') {
      out.video = { url: fileUrl(job) };
      out.meta = { usage: { credits_used: 2520000, usd_spent: 1.26 } };
      out.model = job.body.model;
    }
    if (phase === 'error') out.error = { name: 'ModerationError', message: "The prompt was rejected by the provider's safety filter." };
    return out;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const rawUrl = req.url ?? '/';
    const rec: AimlRequest = { method: req.method ?? 'GET', rawUrl, headers: req.headers, body, key: bearerKey(req) };
    if (body.length > 0) rec.json = parseJson(body);
    requests.push(rec);
    const url = new URL(rawUrl, 'http://fake');

    if (url.pathname.startsWith('/files/') && req.method === 'GET') {
      // A public CDN route: no auth needed, and none expected.
      const job = [...jobs.values()].find((j) => fileUrl(j) === `${origin}${url.pathname}`);
      if (!job) return send(res, nest(404, 'Not Found', url.pathname));
      return sendBytes(res, req.headers.range, video, { 'content-type': 'video/mp4' });
    }
    if (url.pathname !== '/v2/video/generations') return send(res, nest(404, `Cannot ${req.method ?? 'GET'} ${url.pathname}`, url.pathname));
    if (!controls.accepts(rec.key)) return send(res, fixture('error-invalid-key'));
    const key = rec.key;

    if (req.method === 'POST') {
      const override = controls.nextOverride('create');
      if (override) return send(res, override);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, nest(400, 'Body validation error: expected application/json'));
      const problem = validate(rec.json);
      if (problem) return send(res, problem);
      const valid = rec.json as Record<string, unknown>;
      const prompt = String(valid.prompt);
      if (prompt.includes('#429')) return send(res, fixture('error-rate-limit'));
      if (prompt.includes('#maintenance')) return send(res, fixture('error-maintenance'));
      const id = `video_${randomBytes(24).toString('hex')}:${String(valid.model)}`;
      const phases: AimlJob['phases'] = ['queued', ...Array<'generating'>(generatingPolls).fill('generating'), prompt.includes('#fail') ? 'error' : 'completed'];
      jobs.set(id, { id, key, body: valid, polls: 0, phases });
      return send(res, { status: options.createStatus ?? 201, body: { id, status: 'queued' } });
    }
    if (req.method === 'GET') {
      const override = controls.nextOverride('status');
      if (override) return send(res, override);
      const id = url.searchParams.get('generation_id');
      if (!id) return send(res, nest(400, ['generation_id should not be empty']));
      const job = jobs.get(id);
      if (!job || job.key !== key) return send(res, nest(404, 'Generation not found'));
      job.polls++;
      return send(res, { status: 200, body: generation(job) });
    }
    return send(res, nest(404, `Cannot ${req.method ?? ''} ${url.pathname}`));
  };

  const server = await startFakeServer(handle);
  origin = server.origin;

  return {
    url: origin,
    requests,
    jobs,
    video,
    videoSha256: createHash('sha256').update(video).digest('hex'),
    ...controls.knobs,
    requestsOf(verb) {
      return requests.filter((r) => {
        const path = r.rawUrl.split('?')[0];
        if (verb === 'files') return path!.startsWith('/files/');
        return path === '/v2/video/generations' && r.method === (verb === 'create' ? 'POST' : 'GET');
      });
    },
    close: server.close,
  };
}
