import type { Readable } from 'node:stream';
import { request, type Dispatcher, type FormData } from 'undici';
import type { z } from 'zod';
import { UpstreamError } from '../../errors.js';
import type { Credential } from './credential-pool.js';
import { scrubSecrets, translateTransportError, translateUpstreamError, type UpstreamErrorContext } from './upstream-errors.js';

/**
 * One JSON call to an upstream: bearer auth, the provider's own dispatcher,
 * every failure translated at this boundary, and the body parsed by the
 * adapter's wire schema (a body the schema rejects is a 502, never a crash).
 */

/** Error bodies and JSON answers are small; anything longer is cut (and never buffered further). */
export const MAX_JSON_BYTES = 1024 * 1024;

/** Reads at most `limit` bytes of a body as UTF-8 and discards the rest. */
export async function readBodyText(body: Readable, limit = MAX_JSON_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    if (size + buf.length > limit) {
      chunks.push(buf.subarray(0, limit - size));
      size = limit;
      body.destroy();
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** `base` (config `base_url`, with or without a trailing slash) + `path` (starting with `/`). */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** A pre-encoded body, e.g. hand-written multipart. */
export interface RawBody {
  contentType: string;
  body: Buffer | string;
}

export interface UpstreamCall {
  dispatcher: Dispatcher;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  credential?: Credential | undefined;
  /** A JSON body (serialised here) or a FormData (undici sets the boundary). */
  json?: unknown;
  form?: FormData;
  /**
   * A body encoded by the caller, sent byte for byte with its own content type.
   * (undici's FormData rewrites every bare LF in a text part to CRLF, which
   * breaks prompts that must pass unchanged, e.g. storyboards.)
   */
  raw?: RawBody;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  errors: UpstreamErrorContext;
}

export interface UpstreamJson<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** Sends the call; a non-2xx answer or a transport failure throws a GatewayError. */
export async function upstreamRequest(call: UpstreamCall): Promise<Dispatcher.ResponseData> {
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  if (call.credential) headers.authorization = `Bearer ${call.credential.key}`;
  let body: string | Buffer | FormData | undefined;
  if (call.raw !== undefined) {
    body = call.raw.body;
    headers['content-type'] = call.raw.contentType;
  } else if (call.form !== undefined) body = call.form;
  else if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers['content-type'] = 'application/json';
  }
  const ctx = { ...call.errors, credential: call.credential };
  let res: Dispatcher.ResponseData;
  try {
    res = await request(call.url, { dispatcher: call.dispatcher, method: call.method, headers, body, signal: call.signal });
  } catch (err) {
    throw translateTransportError(err, ctx);
  }
  if (res.statusCode >= 200 && res.statusCode < 300) return res;
  let text: string;
  try {
    text = await readBodyText(res.body, 64 * 1024);
  } catch (err) {
    throw translateTransportError(err, ctx);
  }
  throw translateUpstreamError({ status: res.statusCode, headers: res.headers, text }, ctx);
}

/** upstreamRequest + JSON body parsed by `schema`. An empty 2xx body parses as `undefined`. */
export async function requestJson<S extends z.ZodType>(call: UpstreamCall, schema: S): Promise<UpstreamJson<z.output<S>>> {
  const res = await upstreamRequest(call);
  const ctx = { ...call.errors, credential: call.credential };
  let text: string;
  try {
    text = await readBodyText(res.body);
  } catch (err) {
    throw translateTransportError(err, ctx);
  }
  let json: unknown;
  try {
    json = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    throw badResponse(ctx, res.statusCode, text, 'the body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw badResponse(ctx, res.statusCode, text, first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unexpected shape');
  }
  return { status: res.statusCode, headers: res.headers, body: parsed.data };
}

function badResponse(ctx: UpstreamErrorContext, status: number, text: string, why: string): UpstreamError {
  // Scrubbed before the cut at 500, so a key straddling it cannot leave a piece behind.
  ctx.log.warn(
    { provider: ctx.providerId, verb: ctx.verb, upstreamStatus: status, why, body: scrubSecrets(text.slice(0, 4096), ctx.pool, ctx.credential).slice(0, 500) },
    'upstream answered with an unreadable body',
  );
  return new UpstreamError(`The upstream provider answered with a body Reelay could not read (${why}).`, {
    code: 'upstream_bad_response',
    provider: ctx.providerId,
  });
}
