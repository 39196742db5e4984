import { request, type Dispatcher } from 'undici';
import { TargetRefusedError } from './guarded-agent.js';
import type { SignatureHeaders } from './signing.js';

/** What one attempt came to, as the delivery policy needs it. */
export type SendResult =
  /** Any 2xx. */
  | { kind: 'delivered'; statusCode: number }
  /** 410 Gone: the receiver says never again. */
  | { kind: 'gone'; statusCode: number }
  /** The SSRF guard, or a URL that is not http(s): nothing was sent. */
  | { kind: 'refused'; error: string }
  /** Anything else: another status (a 3xx included), a timeout, a connection failure. Worth retrying. */
  | { kind: 'failed'; statusCode: number | null; error: string };

export interface SendOptions {
  /** The guarded agent (guarded-agent.ts). */
  dispatcher: Dispatcher;
  /** The whole attempt, connect to last body byte, ends by then. */
  timeoutMs: number;
}

/** Response bodies are read and dropped up to this much, so the socket can be kept alive; a larger one closes it. */
const DRAIN_LIMIT = 64 * 1024;

const USER_AGENT = 'Reelay-Webhooks/1';

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** A short, fixed-vocabulary reason for the delivery record: never a header, never a secret. */
function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(e.code ?? '')) return `timed out after ${timeoutMs} ms`;
  if (typeof e.code === 'string' && e.code !== '') return `connection failed (${e.code})`;
  return 'connection failed';
}

/** Credentials in a URL (`https://user:pass@host/`) become Basic auth, as curl sends them; undici would drop them. */
function splitCredentials(url: URL): { target: URL; authorization?: string } {
  if (url.username === '' && url.password === '') return { target: url };
  const target = new URL(url);
  target.username = '';
  target.password = '';
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { target, authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

/** One POST of a signed event to one URL. Never throws: every outcome is a SendResult. */
export async function sendWebhook(url: string, body: string, signature: SignatureHeaders, { dispatcher, timeoutMs }: SendOptions): Promise<SendResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'refused', error: 'not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { kind: 'refused', error: 'only http and https targets are allowed' };
  const { target, authorization } = splitCredentials(parsed);
  try {
    const res = await request(target, {
      method: 'POST',
      dispatcher,
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signature,
        ...(authorization === undefined ? {} : { authorization }),
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump({ limit: DRAIN_LIMIT }).catch(() => undefined);
    const { statusCode } = res;
    if (statusCode >= 200 && statusCode < 300) return { kind: 'delivered', statusCode };
    if (statusCode === 410) return { kind: 'gone', statusCode };
    if (statusCode >= 300 && statusCode < 400) return { kind: 'failed', statusCode, error: `redirect (${statusCode}) not followed` };
    return { kind: 'failed', statusCode, error: `HTTP ${statusCode}` };
  } catch (err) {
    const refused = causeChain(err).find((e): e is TargetRefusedError => e instanceof TargetRefusedError);
    if (refused) return { kind: 'refused', error: refused.message };
    return { kind: 'failed', statusCode: null, error: describe(err, timeoutMs) };
  }
}
