import type { ProviderConfig } from '../../config/schema.js';
import { NotFoundError, UpstreamError } from '../../errors.js';
import { fetchContent } from '../http/content-fetch.js';
import { CredentialPool, type Credential } from '../http/credential-pool.js';
import { observedState } from '../http/observed-state.js';
import type { UpstreamVerb } from '../http/upstream-errors.js';
import { requestJson } from '../http/upstream-request.js';
import type { CallContext, ContentResponse, ProviderDeps, UpstreamJobRef, UpstreamState, VideoProvider } from '../types.js';
import { AIML_SUPPORTED_SIZES, buildCreateBody, createUrl, generationUrl, toUpstreamState } from './transform.js';
import { AimlCreateSchema, AimlGenerationSchema } from './wire.js';

/**
 * AI/ML API: `POST /v2/video/generations`, then
 * `GET /v2/video/generations?generation_id=` until `video.url` appears
 * (providers.md §5). No remix, no upstream delete, no thumbnails; no reported
 * progress, so it is estimated from elapsed time.
 */

type AimlapiConfig = Extract<ProviderConfig, { type: 'aimlapi' }>;

export function createAimlapiProvider(config: AimlapiConfig, deps: ProviderDeps): VideoProvider {
  const pool = new CredentialPool(config.id, config.api_keys, { clock: deps.clock, logger: deps.logger });
  const baseOrigin = new URL(config.base_url).origin;
  const errors = (verb: UpstreamVerb, ctx: CallContext) => ({ pool, providerId: config.id, log: ctx.log, verb });

  const poll = async (ref: UpstreamJobRef, credential: Credential, ctx: CallContext): Promise<UpstreamState> => {
    const res = await requestJson(
      { dispatcher: deps.dispatcher, method: 'GET', url: generationUrl(config.base_url, ref.upstreamId), credential, signal: ctx.signal, errors: errors('status', ctx) },
      AimlGenerationSchema,
    );
    const state = toUpstreamState(res.body, {
      nowMs: deps.clock.now(),
      createdAt: ref.createdAt,
      seconds: ref.seconds,
      size: ref.size,
      lastProgress: ref.last.progress,
    });
    return observedState(state, pool, ctx.log, ref.upstreamId);
  };

  const download = (url: string, credential: Credential, range: string | undefined, ctx: CallContext): Promise<ContentResponse> =>
    fetchContent({
      dispatcher: deps.dispatcher,
      url,
      baseOrigin,
      credential,
      range,
      variant: 'video',
      signal: ctx.signal,
      errors: { pool, providerId: config.id, log: ctx.log },
    });

  return {
    id: config.id,
    type: 'aimlapi',
    capabilities: { remix: false, delete: false, variants: ['video'], sizes: AIML_SUPPORTED_SIZES },

    async create(job, ctx) {
      const body = buildCreateBody(job);
      const { credential, res } = await pool.withNextCredential(async (credential) => ({
        credential,
        res: await requestJson(
          { dispatcher: deps.dispatcher, method: 'POST', url: createUrl(config.base_url), credential, json: body, signal: ctx.signal, errors: errors('create', ctx) },
          AimlCreateSchema,
        ),
      }));
      const upstreamId = res.body.id ?? res.body.generation_id;
      if (!upstreamId) {
        throw new UpstreamError('The upstream provider accepted the request but returned no generation id.', {
          code: 'upstream_bad_response',
          provider: config.id,
        });
      }
      const now = deps.clock.now();
      const state = toUpstreamState(
        { id: upstreamId, status: res.body.status, meta: res.body.meta },
        { nowMs: now, createdAt: now, seconds: job.seconds, size: job.size },
      );
      return { upstreamId, credential: credential.fingerprint, state: observedState(state, pool, ctx.log, upstreamId) };
    },

    async status(ref, ctx) {
      return poll(ref, pool.byFingerprint(ref.credential), ctx);
    },

    async content(ref, req, ctx) {
      const credential = pool.byFingerprint(ref.credential);
      const known = ref.last.contentUrl;
      if (known !== undefined) {
        try {
          return await download(known, credential, req.range, ctx);
        } catch (err) {
          // Signed URLs expire after about an hour; a fresh poll may name a new one.
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      const fresh = await poll(ref, credential, ctx);
      if (fresh.contentUrl === undefined || fresh.contentUrl === known) {
        throw new NotFoundError('The video content is not available from the provider.', {
          param: 'video_id',
          code: known ? 'content_unavailable' : 'video_not_ready',
          provider: config.id,
        });
      }
      return download(fresh.contentUrl, credential, req.range, ctx);
    },

    health: () => pool.health(),

    async close() {
      await deps.dispatcher.close();
    },
  };
}
