import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI `/v1/videos` upstream (openai-videos-api.md §1–2) that counts
 * what Reelay asks it: every status call per job with its start and end time,
 * so tests can prove how many polls reach the provider and that they never
 * overlap. Jobs run on real time: queued, then in_progress with rising
 * progress, then completed after `durationMs` (never, for Infinity).
 */

export const CONTENT = Buffer.from('\x00\x00\x00\x18ftypmp42 counting-upstream video bytes', 'latin1');

export interface StatusCall {
  id: string;
  startedAt: number;
  endedAt?: number;
}

export interface CountingUpstreamOptions {
  /** The bearer key Reelay must send. */
  apiKey: string;
  /** How long each job takes, in real ms (default 1000). */
  durationMs?: number;
}

interface Job {
  id: string;
  createdAt: number;
  durationMs: number;
  model: string;
  prompt: string;
}

export interface CountingUpstream {
  /** `http://127.0.0.1:PORT/v1`, a provider `base_url`. */
  baseURL: string;
  creates: number;
  statusCalls: StatusCall[];
  callsFor(id: string): StatusCall[];
  /** Upstream ids in creation order. */
  jobIds(): string[];
  /** Makes status calls wait until release(); resolves each call's arrival through onStatus. */
  hold(): void;
  release(): void;
  /** Called as each status request arrives (before any hold). */
  onStatus?: ((id: string) => void) | undefined;
  /** Runs before a create is answered, e.g. to stop Redis while the job is being accepted. */
  beforeCreateReply?: (() => Promise<void>) | undefined;
  /** Finishes a job now, whatever its duration. */
  complete(id: string): void;
  close(): Promise<void>;
}

export async function startCountingUpstream(options: CountingUpstreamOptions): Promise<CountingUpstream> {
  const jobs = new Map<string, Job>();
  const statusCalls: StatusCall[] = [];
  let held: Array<() => void> | undefined;
  let seq = 0;

  const video = (job: Job) => {
    const elapsed = Date.now() - job.createdAt;
    const done = elapsed >= job.durationMs;
    const queued = elapsed < Math.min(100, job.durationMs / 10);
    const progress = done ? 100 : queued ? 0 : Math.min(99, Math.floor((elapsed / job.durationMs) * 100));
    return {
      id: job.id,
      object: 'video',
      created_at: Math.floor(job.createdAt / 1000),
      completed_at: done ? Math.floor((job.createdAt + job.durationMs) / 1000) : null,
      expires_at: done ? Math.floor((job.createdAt + job.durationMs) / 1000) + 3600 : null,
      error: null,
      model: job.model,
      progress,
      prompt: job.prompt,
      remixed_from_video_id: null,
      seconds: '4',
      size: '720x1280',
      status: done ? 'completed' : queued ? 'queued' : 'in_progress',
    };
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) =>
    json(res, 404, { error: { message: 'Video not found', type: 'invalid_request_error', param: null, code: 'video_not_found' } });

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const field = (body: string, name: string): string | undefined => {
    const multipart = new RegExp(`name="${name}"\\r\\n\\r\\n([\\s\\S]*?)\\r\\n--`).exec(body)?.[1];
    if (multipart !== undefined) return multipart;
    try {
      const value = (JSON.parse(body) as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return json(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
      }
      const url = new URL(req.url ?? '/', 'http://upstream');
      const [, v1, resource, rawId, sub] = url.pathname.split('/');
      if (v1 !== 'v1' || resource !== 'videos') return notFound(res);
      const id = rawId === undefined ? undefined : decodeURIComponent(rawId);

      if (req.method === 'POST' && id === undefined) {
        const body = await readBody(req);
        const job: Job = {
          id: `video_up_${++seq}_${Math.random().toString(36).slice(2, 8)}`,
          createdAt: Date.now(),
          durationMs: options.durationMs ?? 1000,
          model: field(body, 'model') ?? 'sora-2',
          prompt: field(body, 'prompt') ?? '',
        };
        jobs.set(job.id, job);
        upstream.creates++;
        await upstream.beforeCreateReply?.();
        return json(res, 200, video(job));
      }
      const job = id === undefined ? undefined : jobs.get(id);
      if (!job) return notFound(res);

      if (req.method === 'GET' && sub === undefined) {
        const call: StatusCall = { id: job.id, startedAt: Date.now() };
        statusCalls.push(call);
        upstream.onStatus?.(job.id);
        if (held) await new Promise<void>((resolve) => held!.push(resolve));
        call.endedAt = Date.now();
        return json(res, 200, video(job));
      }
      if (req.method === 'GET' && sub === 'content') {
        if (video(job).status !== 'completed') {
          return json(res, 404, { error: { message: 'Video is not ready yet.', type: 'invalid_request_error', param: null, code: 'video_not_ready' } });
        }
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(CONTENT.length) }).end(CONTENT);
        return;
      }
      if (req.method === 'DELETE' && sub === undefined) {
        jobs.delete(job.id);
        return json(res, 200, { id: job.id, object: 'video.deleted', deleted: true });
      }
      return notFound(res);
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err), type: 'server_error', param: null, code: null } });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const upstream: CountingUpstream = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    creates: 0,
    statusCalls,
    callsFor: (id) => statusCalls.filter((c) => c.id === id),
    jobIds: () => [...jobs.keys()],
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const resolve of waiting) resolve();
    },
    complete(id) {
      const job = jobs.get(id);
      if (job) job.durationMs = Math.min(job.durationMs, Date.now() - job.createdAt);
    },
    async close() {
      upstream.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}
