import type { Dispatcher, FormData } from 'undici';
import type { z } from 'zod';
import type { Variant } from '../../../openai/videos.js';
import type { CallContext, ContentResponse } from '../../types.js';
import { fetchContent } from '../content-fetch.js';
import type { Credential, CredentialPool } from '../credential-pool.js';
import type { UpstreamVerb } from '../upstream-errors.js';
import { joinUrl, requestJson, type RawBody } from '../upstream-request.js';
import { OpenAIDeletedWireSchema, OpenAIVideoWireSchema } from './wire.js';

/**
 * The HTTP half of an OpenAI-shaped `/videos` API (OpenAI itself, apigo, new-api
 * resellers): where each verb goes and with which credential. It returns the
 * upstream's objects as parsed by the wire schema; mapping them is the adapter's.
 */

export interface OpenAICompatibleClientOptions<S extends z.ZodType = typeof OpenAIVideoWireSchema> {
  providerId: string;
  /** Config `base_url`, including `/v1`. */
  baseUrl: string;
  dispatcher: Dispatcher;
  pool: CredentialPool;
  /** The provider's video object schema (default: OpenAI's, lenient). */
  videoSchema?: S;
}

export interface ContentOptions {
  variant: Variant;
  range?: string | undefined;
  /** Send `?variant=` for non-default variants (OpenAI); some resellers ignore or reject it. */
  sendVariant: boolean;
  /** See FetchContentOptions.jsonUrl. */
  jsonUrl?: ((body: unknown) => string | undefined) | undefined;
}

export class OpenAICompatibleClient<S extends z.ZodType = typeof OpenAIVideoWireSchema> {
  readonly providerId: string;
  readonly baseUrl: string;
  readonly baseOrigin: string;
  readonly pool: CredentialPool;
  readonly #dispatcher: Dispatcher;
  readonly #schema: S;

  constructor(opts: OpenAICompatibleClientOptions<S>) {
    this.providerId = opts.providerId;
    this.baseUrl = opts.baseUrl;
    this.baseOrigin = new URL(opts.baseUrl).origin;
    this.pool = opts.pool;
    this.#dispatcher = opts.dispatcher;
    this.#schema = (opts.videoSchema ?? OpenAIVideoWireSchema) as S;
  }

  /** `/videos/{id}{suffix}` with the id percent-encoded (ids may contain `:` or `/`). */
  videoUrl(id: string, suffix = ''): string {
    return joinUrl(this.baseUrl, `/videos/${encodeURIComponent(id)}${suffix}`);
  }

  #errors(verb: UpstreamVerb, ctx: CallContext) {
    return { pool: this.pool, providerId: this.providerId, log: ctx.log, verb };
  }

  async create(body: { raw: RawBody } | { form: FormData } | { json: Record<string, unknown> }, credential: Credential, ctx: CallContext): Promise<z.output<S>> {
    const res = await requestJson(
      {
        dispatcher: this.#dispatcher,
        method: 'POST',
        url: joinUrl(this.baseUrl, '/videos'),
        credential,
        ...body,
        signal: ctx.signal,
        errors: this.#errors('create', ctx),
      },
      this.#schema,
    );
    return res.body;
  }

  async retrieve(id: string, credential: Credential, ctx: CallContext): Promise<z.output<S>> {
    const res = await requestJson(
      { dispatcher: this.#dispatcher, method: 'GET', url: this.videoUrl(id), credential, signal: ctx.signal, errors: this.#errors('status', ctx) },
      this.#schema,
    );
    return res.body;
  }

  async remix(id: string, prompt: string, credential: Credential, ctx: CallContext): Promise<z.output<S>> {
    const res = await requestJson(
      {
        dispatcher: this.#dispatcher,
        method: 'POST',
        url: this.videoUrl(id, '/remix'),
        credential,
        json: { prompt },
        signal: ctx.signal,
        errors: this.#errors('remix', ctx),
      },
      this.#schema,
    );
    return res.body;
  }

  async remove(id: string, credential: Credential, ctx: CallContext): Promise<void> {
    await requestJson(
      { dispatcher: this.#dispatcher, method: 'DELETE', url: this.videoUrl(id), credential, signal: ctx.signal, errors: this.#errors('delete', ctx) },
      OpenAIDeletedWireSchema,
    );
  }

  content(id: string, opts: ContentOptions, credential: Credential, ctx: CallContext): Promise<ContentResponse> {
    const query = opts.sendVariant && opts.variant !== 'video' ? `?variant=${encodeURIComponent(opts.variant)}` : '';
    return fetchContent({
      dispatcher: this.#dispatcher,
      url: this.videoUrl(id, `/content${query}`),
      baseOrigin: this.baseOrigin,
      credential,
      range: opts.range,
      variant: opts.variant,
      signal: ctx.signal,
      errors: { pool: this.pool, providerId: this.providerId, log: ctx.log },
      jsonUrl: opts.jsonUrl,
    });
  }
}
