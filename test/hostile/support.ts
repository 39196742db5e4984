import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import type OpenAI from 'openai';
import { request as undiciRequest } from 'undici';
import { expect } from 'vitest';
import { ErrorEnvelopeSchema, type ErrorEnvelope } from '../../src/openai/videos.js';
import { eventually, OTHER_KEY, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

/**
 * The hostile-input corpus's shared plumbing: one config builder, an HTTP
 * client that never throws on a status (undici), a raw node:net client for
 * bytes undici will not send, and the assertions every error case makes.
 */

export { OTHER_KEY, TEST_KEY };

/** Provider keys the fake upstream accepts; they must never reach a client. */
export const UPSTREAM_KEYS = ['sk-upstream-hostile-key-aaaa1111', 'sk-upstream-hostile-key-bbbb2222'] as const;
/** The fake HTTP provider's id (a distinctive word, so /readyz can be searched for it). */
export const UPSTREAM_ID = 'zebraup';
/** Every secret any hostile config holds. */
export const SECRETS: readonly string[] = [TEST_KEY, OTHER_KEY, ...UPSTREAM_KEYS];

/**
 * The new server/limits/readyz keys. They are in the config schema now; set
 * HOSTILE_LEGACY_CONFIG=1 to run the corpus against a schema that lacks them.
 */
export const NEW_CONFIG_KEYS = process.env.HOSTILE_LEGACY_CONFIG !== '1';

export interface HostileConfig {
  /** limits.upload_bytes (default 65536). */
  uploadBytes?: number;
  /** limits.drain_bytes (default 1 MiB). */
  drainBytes?: number;
  /** The base URL of a fake `openai`-type upstream; adds provider UPSTREAM_ID and model `upstream-video`. */
  upstreamUrl?: string;
  generationSeconds?: number;
  /** The whole `store:` block (default: memory). */
  store?: string;
}

export const DEFAULT_UPLOAD_BYTES = 65536;
export const DEFAULT_DRAIN_BYTES = 1048576;
/** JSON bodies may be upload_bytes + 64 KiB. */
export const jsonLimit = (uploadBytes = DEFAULT_UPLOAD_BYTES): number => uploadBytes + 64 * 1024;

export function hostileYaml(opts: HostileConfig = {}): string {
  const upload = opts.uploadBytes ?? DEFAULT_UPLOAD_BYTES;
  const drain = opts.drainBytes ?? DEFAULT_DRAIN_BYTES;
  const server = NEW_CONFIG_KEYS
    ? `server:
  headers_timeout_s: 1
  request_timeout_s: 2
  keep_alive_timeout_s: 1
  connection_timeout_s: 300
`
    : '';
  const limits = NEW_CONFIG_KEYS ? `limits:\n  upload_bytes: ${upload}\n  drain_bytes: ${drain}\n` : `limits:\n  upload_bytes: ${upload}\n`;
  const readyz = NEW_CONFIG_KEYS ? 'readyz:\n  details: false\n' : '';
  const upstreamProvider = opts.upstreamUrl
    ? `  - id: ${UPSTREAM_ID}
    type: openai
    base_url: ${opts.upstreamUrl}
    api_keys: [${UPSTREAM_KEYS.join(', ')}]
    timeout_ms: 3000
`
    : '';
  const upstreamModel = opts.upstreamUrl ? `  upstream-video:\n    - provider: ${UPSTREAM_ID}\n      model: sora-2\n` : '';
  return `${server}${limits}${readyz}${opts.store ?? 'store:\n  type: memory'}
keys:
  - name: alice
    key: ${TEST_KEY}
  - name: bob
    key: ${OTHER_KEY}
    models: [sandbox-video]
poll:
  stale_ms: 0
  min_interval_ms: 0
providers:
  - id: sandbox
    type: sandbox
    generation_seconds: ${opts.generationSeconds ?? 0.2}
${upstreamProvider}models:
  sora-2:
    - provider: sandbox
  sandbox-video:
    - provider: sandbox
${upstreamModel}`;
}

export function startHostile(opts: HostileConfig = {}): Promise<RunningReelay> {
  return startReelay({ yaml: hostileYaml(opts) });
}

// ---------------------------------------------------------------------------
// Replies

export interface Reply {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export interface CallOptions {
  /** Bearer key; default TEST_KEY; null sends no Authorization header. */
  key?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer | AsyncIterable<Buffer>;
  timeoutMs?: number;
}

/** One request through undici; resolves with any status, rejects only on a transport failure. */
export async function call(reelay: RunningReelay, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const key = opts.key === undefined ? TEST_KEY : opts.key;
  const headers: Record<string, string> = { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...opts.headers };
  const timeout = opts.timeoutMs ?? 10_000;
  const res = await undiciRequest(`${reelay.origin}${path}`, {
    method: method as 'GET',
    headers,
    ...(opts.body !== undefined ? { body: typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : Readable.from(opts.body) } : {}),
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: flatHeaders(res.headers), body, text: body.toString('utf8') };
}

/** POST a JSON body (a value is stringified; a string or Buffer goes as is). */
export function postJson(reelay: RunningReelay, path: string, body: unknown, opts: CallOptions & { contentType?: string } = {}): Promise<Reply> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return call(reelay, 'POST', path, { ...opts, headers: { 'content-type': opts.contentType ?? 'application/json', ...opts.headers }, body: raw });
}

// ---------------------------------------------------------------------------
// Multipart, written by hand so every byte is ours

export interface Part {
  name?: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
  /** Replace the whole Content-Disposition line (null: leave it out). */
  disposition?: string | null;
}

export interface Multipart {
  body: Buffer;
  boundary: string;
  contentType: string;
}

export function multipart(parts: Part[], boundary = `hostile${randomBytes(8).toString('hex')}`): Multipart {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const lines: string[] = [];
    if (p.disposition !== null) {
      lines.push(
        p.disposition ??
          `Content-Disposition: form-data; name="${p.name ?? ''}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`,
      );
    }
    if (p.type !== undefined) lines.push(`Content-Type: ${p.type}`);
    chunks.push(Buffer.from(`--${boundary}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`, 'utf8'));
    chunks.push(Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value, 'utf8'));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), boundary, contentType: `multipart/form-data; boundary=${boundary}` };
}

export function postMultipart(reelay: RunningReelay, path: string, parts: Part[], opts: CallOptions = {}): Promise<Reply> {
  const form = multipart(parts);
  return call(reelay, 'POST', path, { ...opts, headers: { 'content-type': form.contentType, ...opts.headers }, body: form.body });
}

// ---------------------------------------------------------------------------
// Raw sockets

export interface RawReply extends Reply {
  statusLine: string;
}

function indexOfCrlfCrlf(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

/** Parses one response off the front of `buf`: the reply and how many bytes it took, or undefined if incomplete. */
function parseResponse(buf: Buffer, closed: boolean): { reply: RawReply; used: number } | undefined {
  const end = indexOfCrlfCrlf(buf);
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = head[0] ?? '';
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = end + 4;
  const done = (body: Buffer, used: number) => ({ reply: { status, statusLine, headers, body, text: body.toString('utf8') }, used });
  if (status >= 100 && status < 200) return done(Buffer.alloc(0), start);
  if (status === 204 || status === 304) return done(Buffer.alloc(0), start);
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at, 'latin1');
      if (lineEnd < 0) return closed ? done(Buffer.concat(parts), buf.length) : undefined;
      const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) return done(Buffer.concat(parts), buf.length);
      if (size === 0) {
        const trailerEnd = indexOfCrlfCrlf(buf, lineEnd);
        if (trailerEnd < 0 && !closed) return undefined;
        return done(Buffer.concat(parts), trailerEnd < 0 ? buf.length : trailerEnd + 4);
      }
      if (buf.length < lineEnd + 2 + size + 2) return closed ? done(Buffer.concat([...parts, buf.subarray(lineEnd + 2)]), buf.length) : undefined;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (buf.length - start < length) return closed ? done(buf.subarray(start), buf.length) : undefined;
    return done(buf.subarray(start, start + length), start + length);
  }
  // No framing: the body runs to the close.
  return closed ? done(buf.subarray(start), buf.length) : undefined;
}

/** One TCP connection to Reelay, written byte for byte, responses parsed as they arrive. */
export class RawConnection {
  readonly openedAt = Date.now();
  closedAt: number | undefined;
  /** The socket error, if any (ECONNRESET, EPIPE, ...). */
  error: string | undefined;
  /** Everything received, in order. */
  received = Buffer.alloc(0);
  private pending = Buffer.alloc(0);
  private wakers: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      this.pending = Buffer.concat([this.pending, d]);
      this.wake();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error ??= e.code ?? e.message;
      this.wake();
    });
    socket.on('close', () => {
      this.closedAt ??= Date.now();
      this.wake();
    });
  }

  static open(origin: string, timeoutMs = 3000): Promise<RawConnection> {
    const { hostname, port } = new URL(origin);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  private nextEvent(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const left = deadline - Date.now();
      if (left <= 0) return resolve(false);
      const timer = setTimeout(() => resolve(false), left);
      this.wakers.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Writes bytes (latin1 for strings, so any byte can be sent); resolves once flushed or failed. */
  write(data: string | Buffer): Promise<void> {
    if (this.socket.destroyed || this.closed) return Promise.resolve();
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return new Promise((resolve) => {
      this.socket.write(buf, (err) => {
        if (err) this.error ??= (err as NodeJS.ErrnoException).code ?? err.message;
        resolve();
      });
    });
  }

  /** Writes `total` bytes of `fill` in `chunk`-sized pieces, `delayMs` apart; stops early when the socket dies. */
  async writeSlowly(total: number, { chunk = 16 * 1024, delayMs = 0, fill = 0x61 }: { chunk?: number; delayMs?: number; fill?: number } = {}): Promise<number> {
    let sent = 0;
    while (sent < total && !this.closed && !this.socket.destroyed && this.error === undefined) {
      const n = Math.min(chunk, total - sent);
      await this.write(Buffer.alloc(n, fill));
      sent += n;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    }
    return sent;
  }

  /** The next complete response; undefined when the connection closed (or `timeoutMs` passed) without one. */
  async response(timeoutMs = 5000): Promise<RawReply | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.pending, this.closed || this.error !== undefined);
      if (parsed) {
        this.pending = this.pending.subarray(parsed.used);
        if (parsed.reply.status >= 100 && parsed.reply.status < 200) continue;
        return parsed.reply;
      }
      if (this.closed) return undefined;
      if (!(await this.nextEvent(deadline))) return undefined;
    }
  }

  /** Resolves with the ms from open to close; rejects when the server keeps it open past `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (!(await this.nextEvent(deadline)) && !this.closed) {
        throw new Error(`the server kept the connection open for more than ${timeoutMs} ms`);
      }
    }
    return this.closedAt! - this.openedAt;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Sends `data` on a fresh connection and reads one response (undefined when
 * the server closed without answering). Bounded by `timeoutMs`.
 */
export async function rawRequest(origin: string, data: string | Buffer, timeoutMs = 5000): Promise<RawReply | undefined> {
  const conn = await RawConnection.open(origin);
  try {
    await conn.write(data);
    return await conn.response(timeoutMs);
  } finally {
    conn.destroy();
  }
}

/** Like rawRequest, but a missing answer fails the test with the connection's fate. */
export async function rawReply(origin: string, data: string | Buffer, timeoutMs = 5000): Promise<RawReply> {
  const conn = await RawConnection.open(origin);
  try {
    await conn.write(data);
    const reply = await conn.response(timeoutMs);
    if (!reply) {
      throw new Error(
        `no HTTP response (${conn.closed ? `closed${conn.error ? ` with ${conn.error}` : ''}` : `nothing within ${timeoutMs} ms`}); received ${JSON.stringify(conn.received.toString('latin1').slice(0, 200))}`,
      );
    }
    return reply;
  } finally {
    conn.destroy();
  }
}

/** A request head (and optional body) in HTTP/1.1 with Host and Connection: close unless given. */
export function rawHttp(method: string, target: string, headers: Record<string, string> | [string, string][] = {}, body?: string | Buffer): Buffer {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  const names = new Set(list.map(([k]) => k.toLowerCase()));
  const lines = [`${method} ${target} HTTP/1.1`, ...(names.has('host') ? [] : ['Host: 127.0.0.1']), ...list.map(([k, v]) => `${k}: ${v}`)];
  if (!names.has('connection')) lines.push('Connection: close');
  const bodyBuf = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (body !== undefined && !names.has('content-length') && !names.has('transfer-encoding')) lines.push(`Content-Length: ${bodyBuf.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bodyBuf]);
}

// ---------------------------------------------------------------------------
// Assertions

const STACK = /\bat .+\(|\n\s+at /;
const PATHS = /\/work\/|node_modules|\.ts:\d|\.js:\d|file:\/\//;

/** No stack trace, no file path, no configured secret. */
export function assertNoLeak(bodyText: string, extraSecrets: readonly string[] = []): void {
  expect(bodyText, 'the body carries a stack trace').not.toMatch(STACK);
  expect(bodyText, 'the body carries a file path').not.toMatch(PATHS);
  for (const secret of [...SECRETS, ...extraSecrets]) expect(bodyText.includes(secret), 'the body carries a secret').toBe(false);
}

type OneOrMany<T> = T | readonly T[];

export interface EnvelopeExpectation {
  status: OneOrMany<number>;
  /** undefined: not checked. */
  code?: OneOrMany<string | null>;
  /** undefined: not checked; an array: any of them. */
  param?: OneOrMany<string | null>;
  /** Default invalid_request_error (authentication_error for 401). */
  type?: string;
  message?: string;
}

const many = <T>(v: OneOrMany<T>): readonly T[] => (Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** The reply is exactly OpenAI's error envelope with the expected status, type, code and param, and leaks nothing. */
export function assertEnvelope(res: Reply, want: EnvelopeExpectation): ErrorEnvelope['error'] {
  const summary = `${res.status} ${res.headers['content-type'] ?? '(no content-type)'} ${res.text.slice(0, 300)}`;
  expect(many(want.status), `status; got ${summary}`).toContain(res.status);
  expect(res.headers['content-type'] ?? '', `content-type; got ${summary}`).toMatch(/^application\/json\b/);
  let json: unknown;
  expect(() => (json = JSON.parse(res.text)), `JSON body; got ${summary}`).not.toThrow();
  const parsed = ErrorEnvelopeSchema.safeParse(json);
  expect(parsed.success, `OpenAI's envelope; got ${summary}`).toBe(true);
  const error = parsed.data!.error;
  expect(error.type, `type; got ${summary}`).toBe(want.type ?? (res.status === 401 ? 'authentication_error' : 'invalid_request_error'));
  if (want.code !== undefined) expect(many(want.code), `code; got ${summary}`).toContain(error.code);
  if (want.param !== undefined) expect(many(want.param), `param; got ${summary}`).toContain(error.param);
  if (want.message !== undefined) expect(error.message).toBe(want.message);
  assertNoLeak(res.text);
  return error;
}

/** A successful JSON reply (status 200 by default). */
export function assertOk(res: Reply, status = 200): Record<string, unknown> {
  expect(res.status, `${res.status} ${res.text.slice(0, 300)}`).toBe(status);
  expect(res.headers['content-type'] ?? '').toMatch(/^application\/json\b/);
  return JSON.parse(res.text) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Prototype pollution

/** Keys a polluting request could plant on Object.prototype. */
const PROBES = ['seconds', 'x', 'b', 'prompt', 'model', 'size', 'id', 'image_url', 'extra', 'foo', 'polluted', 'input_reference', 'characters', 'prototype'];

export interface PrototypeSnapshot {
  object: Map<PropertyKey, PropertyDescriptor>;
  array: Map<PropertyKey, PropertyDescriptor>;
  fn: Map<PropertyKey, PropertyDescriptor>;
}

const descriptors = (o: object) => new Map(Reflect.ownKeys(o).map((k) => [k, Object.getOwnPropertyDescriptor(o, k)!]));

export function snapshotPrototypes(): PrototypeSnapshot {
  return { object: descriptors(Object.prototype), array: descriptors(Array.prototype), fn: descriptors(Function.prototype) };
}

/** Puts the prototypes back as snapshotted; returns what had changed ("Object.prototype.seconds", ...). */
export function restorePrototypes(snap: PrototypeSnapshot): string[] {
  const changed: string[] = [];
  const fix = (name: string, target: object, before: Map<PropertyKey, PropertyDescriptor>) => {
    for (const key of Reflect.ownKeys(target)) {
      if (!before.has(key)) {
        changed.push(`${name}.${String(key)} (added)`);
        Reflect.deleteProperty(target, key);
      }
    }
    for (const [key, d] of before) {
      const now = Object.getOwnPropertyDescriptor(target, key);
      if (!now || now.value !== d.value || now.get !== d.get || now.set !== d.set) {
        changed.push(`${name}.${String(key)} (changed)`);
        Object.defineProperty(target, key, d);
      }
    }
  };
  fix('Object.prototype', Object.prototype, snap.object);
  fix('Array.prototype', Array.prototype, snap.array);
  fix('Function.prototype', Function.prototype, snap.fn);
  return changed;
}

/**
 * Object.prototype (and friends) exactly as snapshotted, and a fresh `{}`
 * inherits nothing planted. Whatever was planted is removed first, so one
 * polluting case cannot break the cases after it.
 */
export function assertPrototypesClean(snap: PrototypeSnapshot): void {
  const probe = {} as Record<string, unknown>;
  const inherited = PROBES.filter((key) => probe[key] !== undefined).map((key) => `({}).${key} = ${JSON.stringify(probe[key])}`);
  const constructorIntact = probe.constructor === Object && Object.getPrototypeOf(probe) === Object.prototype;
  const changed = restorePrototypes(snap);
  expect({ changed, inherited, constructorIntact }, 'prototype pollution').toEqual({ changed: [], inherited: [], constructorIntact: true });
}

// ---------------------------------------------------------------------------
// Liveness after the abuse

export async function waitCompleted(client: OpenAI, id: string, timeoutMs = 10_000): Promise<OpenAI.Videos.Video> {
  return eventually(
    async () => {
      const v = await client.videos.retrieve(id);
      if (v.status === 'failed') throw new Error(`video ${id} failed: ${JSON.stringify(v.error)}`);
      return v.status === 'completed' ? v : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** The process still answers: /healthz, an SDK create, and untouched prototypes. */
export async function assertStillServing(reelay: RunningReelay, snap: PrototypeSnapshot): Promise<void> {
  const health = await call(reelay, 'GET', '/healthz', { key: null });
  expect(health.status).toBe(200);
  const video = await reelay.client().videos.create({ prompt: 'still serving after the hostile corpus' });
  expect(video.status).toBe('queued');
  expect(video.id).toMatch(/^video_/);
  assertPrototypesClean(snap);
}

// ---------------------------------------------------------------------------
// Fixtures

export const PNG_16 = readFileSync(new URL('../fixtures/images/ref-16x16.png', import.meta.url));
/** A real JPEG (the sandbox's own spritesheet still). */
export const JPEG = readFileSync(new URL('../../src/providers/sandbox/media/720x1280.jpg', import.meta.url));
/** PNG magic followed by filler: passes a magic-byte sniff, for size tests. */
export function pngLike(size: number): Buffer {
  const b = Buffer.alloc(size, 0x41);
  b.set(PNG_16.subarray(0, Math.min(size, 33)));
  return b;
}
