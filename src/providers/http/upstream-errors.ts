import { GatewayError, InvalidRequestError, NotFoundError, RateLimitError, UpstreamError, UpstreamTimeoutError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { rangeNotSatisfiable, unsatisfiedRangeLength } from '../byte-range.js';
import { DEFAULT_COOL_DOWN_SECONDS, type Credential, type CredentialPool } from './credential-pool.js';

/**
 * Upstream failures → Reelay's GatewayErrors, at the adapter boundary where the
 * status code and body are still at hand. One parser understands every error
 * dialect the providers speak (providers.md §1.4, §2.6, §4.2, §5.4, §8.4).
 */

export interface ParsedUpstreamError {
  message: string;
  param: string | null;
  code: string | null;
  type: string | null;
}

export type UpstreamVerb = 'create' | 'status' | 'content' | 'remix' | 'delete';

export interface UpstreamErrorContext {
  pool?: CredentialPool | undefined;
  credential?: Credential | undefined;
  providerId: string;
  log: Logger;
  verb: UpstreamVerb;
}

export interface UpstreamResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const MAX_TEXT = 500;
const MAX_MESSAGE = 2000;

/** Anything that looks like a bearer secret: OpenAI-style `sk-…` keys and `Bearer <token>`. */
const SECRET_PATTERNS: readonly RegExp[] = [/\bsk-[A-Za-z0-9_*.-]{6,}/g, /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi];

/** Removes provider keys from upstream text: the pool's own keys, then anything key-shaped. */
export function scrubSecrets(text: string, pool?: CredentialPool, credential?: Credential): string {
  let out = pool ? pool.redact(text) : text;
  if (credential && credential.key.length >= 4) out = out.split(credential.key).join('[redacted]');
  for (const re of SECRET_PATTERNS) out = out.replace(re, (_m, bearer?: string) => (typeof bearer === 'string' && /^bearer$/i.test(bearer) ? `${bearer} [redacted]` : '[redacted]'));
  return out;
}

const str = (v: unknown): string | null => {
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const truncate = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function plainText(text: string): string {
  const trimmed = text.trim();
  if (/^\s*</.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    const stripped = trimmed
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return truncate(title || stripped, MAX_TEXT);
  }
  return truncate(trimmed.replace(/\s+/g, ' '), MAX_TEXT);
}

/** new-api's flat body carries the upstream body as one string in `message` (providers.md §2.6 `fail_to_fetch_task`). */
function embeddedError(message: string): ParsedUpstreamError | null {
  const start = message.indexOf('{');
  const end = message.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  try {
    const inner: unknown = JSON.parse(message.slice(start, end + 1));
    return fromJson(inner);
  } catch {
    return null;
  }
}

function fromJson(body: unknown): ParsedUpstreamError | null {
  if (!isRecord(body)) return null;
  // OpenAI envelope {"error":{message,type,param,code}}; also apigo and new-api middleware errors under `error`.
  if (isRecord(body.error)) {
    const e = body.error;
    const message = str(e.message) ?? (Array.isArray(e.message) ? e.message.map(String).join('; ') : null);
    if (message !== null) {
      return { message, param: str(e.param), code: str(e.code), type: str(e.type) };
    }
  }
  if (typeof body.error === 'string' && typeof body.message !== 'string' && !Array.isArray(body.message)) {
    return { message: body.error, param: str(body.param), code: str(body.code), type: null };
  }
  // NestJS {message: string|string[], statusCode, error?, path?}: `error` is the status phrase, not a type.
  if (Array.isArray(body.message)) {
    return { message: body.message.map(String).join('; '), param: null, code: str(body.code), type: null };
  }
  const message = str(body.message) ?? str(body.msg) ?? str(body.detail);
  if (message === null) return null;
  const code = str(body.code);
  // new-api flat {"code","message","data"}: message may embed an OpenAI error as a JSON string.
  const inner = embeddedError(message);
  if (inner) return { message: inner.message, param: inner.param, code: inner.code ?? code, type: inner.type };
  // apigo {code,message,type} and anything similar; NestJS has no `type`.
  return { message, param: str(body.param), code, type: 'statusCode' in body ? null : str(body.type) };
}

/** Reads any provider's error body into message/param/code/type. Never throws. */
export function parseUpstreamErrorBody(status: number, text: string): ParsedUpstreamError {
  const trimmed = text.trim();
  if (trimmed === '') return { message: `The upstream provider answered HTTP ${status} with no body.`, param: null, code: null, type: null };
  let parsed: ParsedUpstreamError | null = null;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      parsed = fromJson(JSON.parse(trimmed));
    } catch {
      parsed = null;
    }
  }
  if (parsed) return { ...parsed, message: truncate(parsed.message.trim(), MAX_MESSAGE) };
  return { message: plainText(trimmed) || `The upstream provider answered HTTP ${status}.`, param: null, code: null, type: null };
}

const header = (headers: UpstreamResponseLike['headers'], name: string): string | undefined => {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** Retry-After as seconds (delta or HTTP date); retry-after-ms wins when present. */
export function retryAfterSeconds(headers: UpstreamResponseLike['headers'], nowMs = Date.now()): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms / 1000;
  const raw = header(headers, 'retry-after');
  if (raw === undefined || raw.trim() === '') return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return secs > 0 ? secs : undefined;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  const delta = (date - nowMs) / 1000;
  return delta > 0 ? delta : undefined;
}

/** Codes and messages meaning "the account is out of money", not "the key is wrong". */
const QUOTA_CODE = /quota|balance|credit|billing|insufficient|payment/i;
const QUOTA_MESSAGE = /quota|balance|run out of credits|out of credits|insufficient|top up|billing|余额|额度/i;

/**
 * The mapping (issue 3, "Rules for every adapter"):
 * - 400/409/413/415/422, and 404 on create → 400 with the upstream message and param.
 * - 401/403 → 502 `upstream_auth_failed`, and the key is disabled; a 403 about quota or
 *   balance is 502 `upstream_quota_exhausted` instead and the key stays (it is not wrong).
 * - 404/410 on status/content/remix/delete, and new-api's 400 `task_not_exist` → 404.
 * - 416 → 416, with the upstream's `Content-Range: bytes *\/N` when it sent one.
 * - 408 → 504. 429 → 429 with the upstream Retry-After (default 30 s); the key cools down.
 * - new-api's 503 `model_not_found` → 400 param `model`: the provider does not serve the
 *   model, which is the client's choice, not an outage. It still fails over, since the
 *   alias's next target may serve it.
 * - other 5xx → 502. Failures of create that another target could survive fail over.
 * No provider key survives into any message, and no provider id: messages say "the
 * upstream provider" and the id travels in `provider`, for the operator's log line only.
 */
export function translateUpstreamError(res: UpstreamResponseLike, ctx: UpstreamErrorContext): GatewayError {
  // Scrub before parsing: parsing truncates, and a cut through a key would leave part of it behind.
  const parsed = parseUpstreamErrorBody(res.status, scrubSecrets(res.text, ctx.pool, ctx.credential));
  const message = scrubSecrets(parsed.message, ctx.pool, ctx.credential);
  const { status } = res;
  const fp = ctx.credential?.fingerprint;
  const isCreate = ctx.verb === 'create';
  const provider = ctx.providerId;
  ctx.log.warn(
    { provider, verb: ctx.verb, upstreamStatus: status, upstreamCode: parsed.code, upstreamType: parsed.type, upstreamMessage: message, credential: fp },
    'upstream error',
  );

  if (parsed.code === 'task_not_exist' && !isCreate) return new NotFoundError(message, { provider });

  if (status === 401 || status === 403) {
    const quota = status === 403 && ((parsed.code !== null && QUOTA_CODE.test(parsed.code)) || QUOTA_MESSAGE.test(parsed.message));
    if (quota) {
      return new UpstreamError(`The upstream provider refused the request for lack of quota or balance: ${message}`, {
        code: 'upstream_quota_exhausted',
        failover: true,
        provider,
      });
    }
    if (fp !== undefined) ctx.pool?.disable(fp, `HTTP ${status}${parsed.code ? ` ${parsed.code}` : ''}: ${truncate(message, 200)}`);
    return new UpstreamError(`The upstream provider refused Reelay's credential (HTTP ${status}).`, {
      code: 'upstream_auth_failed',
      failover: true,
      provider,
    });
  }

  if (status === 404 || status === 410) {
    if (!isCreate) return new NotFoundError(message, { provider });
    return new InvalidRequestError(message, { param: parsed.param, code: parsed.code ?? 'invalid_value', provider });
  }

  if (status === 400 || status === 409 || status === 413 || status === 415 || status === 422) {
    return new InvalidRequestError(message, { param: parsed.param, code: parsed.code ?? 'invalid_value', provider });
  }

  if (status === 416) return rangeNotSatisfiable(unsatisfiedRangeLength(header(res.headers, 'content-range')), provider, message);

  if (status === 408) {
    return new UpstreamTimeoutError(`The upstream provider timed out: ${message}`, { failover: true, provider });
  }

  if (status === 429) {
    const wait = retryAfterSeconds(res.headers) ?? DEFAULT_COOL_DOWN_SECONDS;
    if (fp !== undefined) ctx.pool?.coolDown(fp, wait);
    return new RateLimitError(message, wait, { failover: true, code: 'rate_limit_exceeded', provider });
  }

  if (status >= 500) {
    if (parsed.code === 'model_not_found') {
      return new InvalidRequestError(message, { param: 'model', code: 'model_not_found', failover: true, provider });
    }
    return new UpstreamError(`The upstream provider failed (HTTP ${status}): ${message}`, { failover: true, provider });
  }

  return new UpstreamError(`The upstream provider answered HTTP ${status}: ${message}`, { provider });
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

function errorCode(err: unknown): { code?: string; name?: string; statusCode?: number } {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && isRecord(cur); depth++) {
    const code = typeof cur.code === 'string' ? cur.code : undefined;
    if (code !== undefined) {
      return { code, name: typeof cur.name === 'string' ? cur.name : undefined, statusCode: typeof cur.statusCode === 'number' ? cur.statusCode : undefined };
    }
    if (cur.name === 'TimeoutError' || cur.name === 'AbortError') return { name: cur.name };
    cur = cur.cause;
  }
  return isRecord(err) && typeof err.name === 'string' ? { name: err.name } : {};
}

/**
 * undici and socket errors → 504 (timeouts) or 502 (everything else), both
 * failing over. A GatewayError (already translated, so already carrying its
 * provider) passes through unchanged.
 */
export function translateTransportError(err: unknown, ctx: UpstreamErrorContext): GatewayError {
  if (err instanceof GatewayError) return err;
  const { code, name, statusCode } = errorCode(err);
  const provider = ctx.providerId;
  ctx.log.warn({ provider, verb: ctx.verb, errorCode: code ?? name, credential: ctx.credential?.fingerprint }, 'upstream transport error');
  if ((code !== undefined && TIMEOUT_CODES.has(code)) || name === 'TimeoutError') {
    return new UpstreamTimeoutError(`The upstream provider did not answer in time (${code ?? name}).`, { failover: true, provider, cause: err });
  }
  if (code === 'UND_ERR_REQ_RETRY' && statusCode !== undefined) {
    return new UpstreamError(`The upstream provider failed (HTTP ${statusCode}) after retries.`, { failover: true, provider, cause: err });
  }
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new UpstreamError('The request to the upstream provider was aborted.', { code: 'upstream_aborted', provider, cause: err });
  }
  return new UpstreamError(`Could not reach the upstream provider (${code ?? name ?? 'connection error'}).`, {
    code: 'upstream_unreachable',
    failover: true,
    provider,
    cause: err,
  });
}
