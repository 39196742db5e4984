import { request, type Dispatcher } from 'undici';
import { NotFoundError, RangeNotSatisfiableError, UpstreamError } from '../../errors.js';
import { CONTENT_TYPES, type Variant } from '../../openai/videos.js';
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
  /** The client's Range header, passed through. */
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

const header = (headers: Dispatcher.ResponseData['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const GENERIC_TYPES = /^(application\/octet-stream|binary\/octet-stream|application\/binary)\b/i;

/** `href` resolved against `base`; an unparsable one (the upstream's Location or JSON) is a 502, not a TypeError. */
function contentUrl(href: string, base: URL | undefined, providerId: string): URL {
  try {
    return new URL(href, base);
  } catch {
    throw new UpstreamError(`The upstream provider "${providerId}" gave an invalid content URL.`, { code: 'upstream_bad_response' });
  }
}

export async function fetchContent(opts: FetchContentOptions): Promise<ContentResponse> {
  const log = opts.errors.log;
  let url = contentUrl(opts.url, undefined, opts.errors.providerId);
  // Once a hop leaves the provider's origin the credential is gone for every later hop.
  let trusted = url.origin === opts.baseOrigin;

  for (let hop = 0; hop <= MAX_CONTENT_HOPS; hop++) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UpstreamError(`The upstream provider "${opts.errors.providerId}" pointed at a non-HTTP content URL.`, { code: 'upstream_bad_response' });
    }
    trusted &&= url.origin === opts.baseOrigin;
    const credential = trusted ? opts.credential : undefined;
    const ctx: UpstreamErrorContext = trusted
      ? { ...opts.errors, credential, verb: 'content' }
      : { providerId: opts.errors.providerId, log, verb: 'content' }; // a foreign host's 401/429 says nothing about our key
    const headers: Record<string, string> = { accept: '*/*' };
    if (opts.range !== undefined) headers.range = opts.range;
    if (credential) headers.authorization = `Bearer ${credential.key}`;

    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { dispatcher: opts.dispatcher, method: 'GET', headers, signal: opts.signal });
    } catch (err) {
      throw translateTransportError(err, ctx);
    }
    const status = res.statusCode;

    if (status >= 300 && status < 400 && status !== 304) {
      const location = header(res.headers, 'location');
      await res.body.dump().catch(() => undefined);
      if (!location) throw new UpstreamError(`The upstream provider "${opts.errors.providerId}" redirected content without a Location.`, { code: 'upstream_bad_response' });
      url = contentUrl(location, url, opts.errors.providerId);
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
        if (!next) throw new UpstreamError(`The upstream provider "${opts.errors.providerId}" answered content with JSON that names no URL.`, { code: 'upstream_bad_response' });
        url = contentUrl(next, url, opts.errors.providerId);
        continue;
      }
      const length = Number(header(res.headers, 'content-length'));
      const fallback = CONTENT_TYPES[opts.variant ?? 'video'];
      return {
        status: status === 206 ? 206 : 200,
        body: res.body,
        contentType: contentType && !GENERIC_TYPES.test(contentType) ? contentType : fallback,
        contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
        contentRange: header(res.headers, 'content-range'),
      };
    }

    const text = await readBodyText(res.body, 64 * 1024).catch(() => '');
    if (!trusted) {
      if (status === 416) throw new RangeNotSatisfiableError('The requested range is not satisfiable.');
      if (status === 401 || status === 403 || status === 404 || status === 410) {
        log.warn({ provider: opts.errors.providerId, upstreamStatus: status, origin: url.origin }, 'content host refused the download');
        throw new NotFoundError(`The video content is no longer available from the provider's content host (HTTP ${status}).`, {
          code: 'content_unavailable',
        });
      }
    }
    throw translateUpstreamError({ status, headers: res.headers, text }, ctx);
  }
  throw new UpstreamError(`The upstream provider "${opts.errors.providerId}" redirected content more than ${MAX_CONTENT_HOPS} times.`, {
    code: 'upstream_bad_response',
  });
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
