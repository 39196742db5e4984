import { request, type Dispatcher } from 'undici';
import { NotFoundError, UpstreamError, type GatewayError } from '../../errors.js';
import { CONTENT_TYPES, type Variant } from '../../openai/videos.js';
import { rangeNotSatisfiable, singleByteRange, unsatisfiedRangeLength } from '../byte-range.js';
import type { ContentResponse } from '../types.js';
import type { Credential } from './credential-pool.js';
import { translateTransportError, translateUpstreamError, type UpstreamErrorContext } from './upstream-errors.js';
import { readBodyText } from './upstream-request.js';

/**
 * Streams a video's bytes from the provider or from wherever it says they live.
 * The credential goes only to the provider's own origin (issue 3: "Credentials
 * go only to the provider's own base_url origin"): a URL on any other host is
 * fetched without it, and a redirect that leaves the origin drops it for good,
 * as fetch does. Bodies are streamed through, never buffered.
 */

export const MAX_CONTENT_HOPS = 5;

export interface FetchContentOptions {
  dispatcher: Dispatcher;
  url: string;
  /** `new URL(config.base_url).origin`: the only origin that ever sees the credential. */
  baseOrigin: string;
  credential?: Credential | undefined;
  /** The client's Range header; forwarded only when it is one well-formed range (singleByteRange). */
  range?: string | undefined;
  /** Picks the content type when the upstream sends none or a generic one. */
  variant?: Variant | undefined;
  signal?: AbortSignal | undefined;
  /** Error translation context (pool, provider id, logger); the verb is always `content`. */
  errors: Omit<UpstreamErrorContext, 'verb' | 'credential'>;
  /**
   * Some resellers answer /content with JSON carrying a URL (providers.md §2.1, §3.2).
   * When given, a JSON answer is read with this and the URL it returns is fetched
   * (same origin rules; counts as a hop).
   */
  jsonUrl?: ((body: unknown) => string | undefined) | undefined;
}

/** One GET of the chain: where, and with which credential (none once the chain left the provider's origin). */
interface Hop {
  url: URL;
  credential: Credential | undefined;
}

const header = (headers: Dispatcher.ResponseData['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** A Content-Length as a number; undefined when absent or not plain digits. */
const lengthOf = (value: string | undefined): number | undefined => (value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value) : undefined);

const GENERIC_TYPES = /^(application\/octet-stream|binary\/octet-stream|application\/binary)\b/i;

/** The upstream said where the content is in a way Reelay cannot follow: a 502 saying how, never naming the provider. */
const badContentAnswer = (what: string, provider: string): UpstreamError =>
  new UpstreamError(`The upstream provider ${what}.`, { code: 'upstream_bad_response', provider });

/** `href` resolved against `base`; an unparsable one (the upstream's Location or JSON) is a 502, not a TypeError. */
function contentUrl(href: string, base: URL | undefined, provider: string): URL {
  try {
    return new URL(href, base);
  } catch {
    throw badContentAnswer('gave an invalid content URL', provider);
  }
}

function getHop(hop: Hop, range: string | undefined, opts: FetchContentOptions): Promise<Dispatcher.ResponseData> {
  const headers: Record<string, string> = { accept: '*/*' };
  if (range !== undefined) headers.range = range;
  if (hop.credential) headers.authorization = `Bearer ${hop.credential.key}`;
  return request(hop.url, { dispatcher: opts.dispatcher, method: 'GET', headers, signal: opts.signal });
}

/**
 * The length of the whole content, from one GET of the hop without the Range:
 * its Content-Length, read off the headers while the body (the whole video) is
 * dropped unread. Undefined when that GET fails or is not a plain 200.
 */
async function wholeLength(hop: Hop, opts: FetchContentOptions): Promise<number | undefined> {
  try {
    const res = await getHop(hop, undefined, opts);
    // undici reports a body dropped unread as an aborted request: expected here, so listened for.
    res.body.on('error', () => undefined).destroy();
    return res.statusCode === 200 ? lengthOf(header(res.headers, 'content-length')) : undefined;
  } catch (err) {
    opts.errors.log.debug({ provider: opts.errors.providerId, origin: hop.url.origin, err: { message: (err as Error).message } }, 'could not learn the content length');
    return undefined;
  }
}

/**
 * A 416 for the client with `Content-Range: bytes *\/N`. N is the upstream's own
 * when it sent a valid one; otherwise it is learned from a GET without the Range
 * (same credential rules as the hop). Without N the 416 goes without the header.
 */
async function unsatisfiable(res: Dispatcher.ResponseData, hop: Hop, range: string | undefined, opts: FetchContentOptions): Promise<GatewayError> {
  await res.body.dump().catch(() => undefined);
  // Without a Range sent, the follow-up GET would only repeat this one.
  const length = unsatisfiedRangeLength(header(res.headers, 'content-range')) ?? (range === undefined ? undefined : await wholeLength(hop, opts));
  opts.errors.log.debug({ provider: opts.errors.providerId, origin: hop.url.origin, range, length }, 'upstream could not satisfy the range');
  return rangeNotSatisfiable(length, opts.errors.providerId);
}

export async function fetchContent(opts: FetchContentOptions): Promise<ContentResponse> {
  const { log, providerId } = opts.errors;
  // Only one well-formed range goes upstream; any other Range is ignored and the whole body served (RFC 9110 §14.2).
  const range = singleByteRange(opts.range);
  let url = contentUrl(opts.url, undefined, providerId);
  // Once a hop leaves the provider's origin the credential is gone for every later hop.
  let trusted = url.origin === opts.baseOrigin;

  for (let hop = 0; hop <= MAX_CONTENT_HOPS; hop++) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badContentAnswer('pointed at a non-HTTP content URL', providerId);
    trusted &&= url.origin === opts.baseOrigin;
    const current: Hop = { url, credential: trusted ? opts.credential : undefined };
    const ctx: UpstreamErrorContext = trusted
      ? { ...opts.errors, credential: current.credential, verb: 'content' }
      : { providerId, log, verb: 'content' }; // a foreign host's 401/429 says nothing about our key

    let res: Dispatcher.ResponseData;
    try {
      res = await getHop(current, range, opts);
    } catch (err) {
      throw translateTransportError(err, ctx);
    }
    const status = res.statusCode;

    if (status >= 300 && status < 400 && status !== 304) {
      const location = header(res.headers, 'location');
      await res.body.dump().catch(() => undefined);
      if (!location) throw badContentAnswer('redirected content without a Location', providerId);
      url = contentUrl(location, url, providerId);
      log.debug({ hop, origin: url.origin, trusted: trusted && url.origin === opts.baseOrigin }, 'content redirect');
      continue;
    }

    if (status >= 200 && status < 300) {
      const contentType = header(res.headers, 'content-type');
      if (opts.jsonUrl && contentType !== undefined && /\bjson\b/i.test(contentType)) {
        const text = await readBodyText(res.body).catch((err: unknown) => {
          throw translateTransportError(err, ctx);
        });
        let next: string | undefined;
        try {
          next = opts.jsonUrl(JSON.parse(text));
        } catch {
          next = undefined;
        }
        if (!next) throw badContentAnswer('answered content with JSON that names no URL', providerId);
        url = contentUrl(next, url, providerId);
        continue;
      }
      const fallback = CONTENT_TYPES[opts.variant ?? 'video'];
      return {
        status: status === 206 ? 206 : 200,
        body: res.body,
        contentType: contentType && !GENERIC_TYPES.test(contentType) ? contentType : fallback,
        contentLength: lengthOf(header(res.headers, 'content-length')),
        contentRange: header(res.headers, 'content-range'),
      };
    }

    if (status === 416) throw await unsatisfiable(res, current, range, opts);

    const text = await readBodyText(res.body, 64 * 1024).catch(() => '');
    if (!trusted && (status === 401 || status === 403 || status === 404 || status === 410)) {
      log.warn({ provider: providerId, upstreamStatus: status, origin: url.origin }, 'content host refused the download');
      throw new NotFoundError(`The video content is no longer available from the provider's content host (HTTP ${status}).`, {
        code: 'content_unavailable',
        provider: providerId,
      });
    }
    throw translateUpstreamError({ status, headers: res.headers, text }, ctx);
  }
  throw badContentAnswer(`redirected content more than ${MAX_CONTENT_HOPS} times`, providerId);
}

/** An absolute http(s) URL, the only kind of content location an adapter may follow. */
export const isHttpUrl = (value: string | null | undefined): value is string => {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
};
