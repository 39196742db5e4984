import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';

/**
 * The benchmark's upstream: a tiny node:http server speaking OpenAI's
 * /v1/videos dialect, as cheap as it can be, since in the "direct" arms it is
 * the server being measured.
 *
 *   POST /v1/videos                 a Video object with a new id (multipart or JSON)
 *   GET  /v1/videos/:id             the job's state; every call is counted per job
 *   GET  /v1/videos/:id/content     CONTENT_FILE, streamed from disk
 *   GET  /__bench/jobs?tag=T        {jobs:[{id, statusCalls}]} for jobs whose prompt holds #tag=T
 *   GET  /__bench/callers           {callers:[name]}: every caller seen so far
 *   GET  /__bench/arrivals?tag=T    {callers:[name], jobs:{id:[[ms, caller index], …]}}: when each status
 *                                   call of a tagged job arrived and from whom (ms since the epoch)
 *
 * Any path may start with `/as/<caller>`: a Reelay instance configured with
 * that base URL names itself, so arrivals can be split per instance.
 * Prompt tags steer a job: `#done` completes at once, `#ms=N` completes after
 * N ms (default: one hour, so polled jobs stay in progress), `#tag=T` groups
 * jobs for /__bench/jobs. Untagged jobs are not remembered (creates under load
 * would only grow the heap); polling one answers "in_progress".
 *
 * Env: CONTENT_FILE (path), PORT (default 0). Prints "listening on http://127.0.0.1:PORT".
 */

interface Job {
  id: string;
  createdAt: number;
  doneAt: number;
  model: string;
  tag: string | undefined;
  statusCalls: number;
  /** Flat [ms, caller index, ms, caller index, …] of every status call, for lateness and double-poll counts. */
  arrivals: number[];
}

const CONTENT_FILE = process.env.CONTENT_FILE;
const contentSize = CONTENT_FILE ? statSync(CONTENT_FILE).size : 0;
const jobs = new Map<string, Job>();
/** Status calls for ids never remembered, so stats stay complete. */
const untrackedStatusCalls = new Map<string, number>();
let seq = 0;
/** Caller names in order of first appearance; arrivals store the index. */
const callers: string[] = [];
const callerIndex = (name: string): number => {
  const i = callers.indexOf(name);
  return i === -1 ? callers.push(name) - 1 : i;
};

const PROMPT_MULTIPART = /name="prompt"\r\n\r\n([^\r]*)/;
const MODEL_MULTIPART = /name="model"\r\n\r\n([^\r]*)/;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function video(job: Pick<Job, 'id' | 'createdAt' | 'doneAt' | 'model'>, now: number) {
  const done = now >= job.doneAt;
  const span = Math.max(1, job.doneAt - job.createdAt);
  return {
    id: job.id,
    object: 'video',
    created_at: Math.floor(job.createdAt / 1000),
    status: done ? 'completed' : 'in_progress',
    progress: done ? 100 : Math.min(99, Math.floor(((now - job.createdAt) / span) * 100)),
    completed_at: done ? Math.floor(job.doneAt / 1000) : null,
    expires_at: done ? Math.floor(job.doneAt / 1000) + 3600 : null,
    error: null,
    model: job.model,
    prompt: null,
    remixed_from_video_id: null,
    seconds: '4',
    size: '720x1280',
  };
}

function create(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('latin1');
    let prompt = '';
    let model = 'sora-2';
    if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        const json = JSON.parse(body) as { prompt?: unknown; model?: unknown };
        prompt = typeof json.prompt === 'string' ? json.prompt : '';
        if (typeof json.model === 'string') model = json.model;
      } catch {
        return send(res, 400, { error: { message: 'bad JSON', type: 'invalid_request_error', param: null, code: null } });
      }
    } else {
      prompt = PROMPT_MULTIPART.exec(body)?.[1] ?? '';
      model = MODEL_MULTIPART.exec(body)?.[1] ?? model;
    }
    const now = Date.now();
    const id = `video_up_${(++seq).toString(36)}_${now.toString(36)}`;
    const ms = /#ms=(\d+)/.exec(prompt);
    const job: Job = {
      id,
      createdAt: now,
      doneAt: prompt.includes('#done') ? now : now + (ms ? Number(ms[1]) : 3_600_000),
      model,
      tag: /#tag=(\S+)/.exec(prompt)?.[1],
      statusCalls: 0,
      arrivals: [],
    };
    if (prompt.includes('#')) jobs.set(id, job);
    send(res, 200, video(job, now));
  });
}

function status(id: string, caller: number, res: ServerResponse): void {
  const now = Date.now();
  const job = jobs.get(id);
  if (job) {
    job.statusCalls++;
    job.arrivals.push(now, caller);
    return send(res, 200, video(job, now));
  }
  untrackedStatusCalls.set(id, (untrackedStatusCalls.get(id) ?? 0) + 1);
  send(res, 200, video({ id, createdAt: now - 60_000, doneAt: now + 60_000, model: 'sora-2' }, now));
}

function content(res: ServerResponse): void {
  if (!CONTENT_FILE) return send(res, 404, { error: { message: 'no content file', type: 'invalid_request_error', param: null, code: null } });
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': contentSize });
  pipeline(createReadStream(CONTENT_FILE, { highWaterMark: 256 * 1024 }), res, () => {});
}

const AS = /^\/as\/([^/]+)(\/.*)$/;

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  let caller = '';
  const as = AS.exec(path);
  if (as) [caller, path] = [decodeURIComponent(as[1]!), as[2]!];
  if (req.method === 'POST' && path === '/v1/videos') return create(req, res);
  if (req.method === 'GET' && path.startsWith('/v1/videos/')) {
    const rest = path.slice('/v1/videos/'.length);
    if (rest.endsWith('/content')) return content(res);
    if (!rest.includes('/')) return status(decodeURIComponent(rest), callerIndex(caller), res);
  }
  if (req.method === 'GET' && path === '/__bench/jobs') {
    const tag = new URLSearchParams(url.slice(q + 1)).get('tag');
    return send(res, 200, {
      jobs: [...jobs.values()].filter((j) => j.tag === tag).map((j) => ({ id: j.id, statusCalls: j.statusCalls })),
      untrackedStatusCalls: [...untrackedStatusCalls.values()].reduce((a, b) => a + b, 0),
    });
  }
  if (req.method === 'GET' && path === '/__bench/callers') return send(res, 200, { callers });
  if (req.method === 'GET' && path === '/__bench/arrivals') {
    const tag = new URLSearchParams(url.slice(q + 1)).get('tag');
    const out: Record<string, number[][]> = {};
    for (const j of jobs.values()) {
      if (j.tag !== tag) continue;
      const pairs: number[][] = [];
      for (let i = 0; i + 1 < j.arrivals.length; i += 2) pairs.push([j.arrivals[i]!, j.arrivals[i + 1]!]);
      out[j.id] = pairs;
    }
    return send(res, 200, { callers, jobs: out });
  }
  req.resume();
  send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: null } });
});
server.keepAliveTimeout = 65_000;

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
