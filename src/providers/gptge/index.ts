import type { ProviderConfig } from '../../config/schema.js';
import { GatewayError, NotFoundError, UpstreamError } from '../../errors.js';
import { fetchContent } from '../http/content-fetch.js';
import { CredentialPool, type Credential } from '../http/credential-pool.js';
import { observedState } from '../http/observed-state.js';
import { OpenAICompatibleClient } from '../http/openai-compatible/client.js';
import { scrubSecrets } from '../http/upstream-errors.js';
import type { AcceptedJob, CallContext, ContentResponse, ProviderDeps, VideoProvider } from '../types.js';
import { buildCreateBody, contentJsonUrl, isContentNotReady, toUpstreamState, upstreamIdOf } from './transform.js';
import { GptgeVideoSchema, type GptgeVideo } from './wire.js';

/**
 * gpt.ge and the new-api family of OpenAI-compatible resellers, including the
 * storyboard reseller of seed 002. Wire format: providers.md §2, §3, §7.
 * new-api relays remix (POST /v1/videos/{id}/remix) but has no DELETE route
 * and does not forward `variant`, so only the video itself is offered.
 */

type GptgeConfig = Extract<ProviderConfig, { type: 'gptge' }>;

export function createGptgeProvider(config: GptgeConfig, deps: ProviderDeps): VideoProvider {
  const pool = new CredentialPool(config.id, config.api_keys, { clock: deps.clock, logger: deps.logger });
  const client = new OpenAICompatibleClient({
    providerId: config.id,
    baseUrl: config.base_url,
    dispatcher: deps.dispatcher,
    pool,
    videoSchema: GptgeVideoSchema,
  });

  /** A create or remix answer: `id`, or `task_id` only (new-api v2+ sends both). */
  const accepted = (body: GptgeVideo, credential: Credential, ctx: CallContext): AcceptedJob => {
    const upstreamId = upstreamIdOf(body);
    if (upstreamId === undefined) {
      // Some panels answer 200 with their flat error body; keep its message.
      const said = typeof body.message === 'string' ? `: ${scrubSecrets(body.message, pool).slice(0, 300)}` : '.';
      throw new UpstreamError(`The upstream provider answered without a task id${said}`, { code: 'upstream_bad_response', provider: config.id });
    }
    return { upstreamId, credential: credential.fingerprint, state: observedState(toUpstreamState(body), pool, ctx.log, upstreamId) };
  };

  /** new-api's 400 "Task is not completed yet" is the service's not-ready 404. */
  const notReady = (err: unknown): unknown =>
    err instanceof GatewayError && isContentNotReady(err.status, err.message)
      ? new NotFoundError(`The video is not ready yet upstream: ${err.message}`, { param: 'video_id', code: 'video_not_ready', provider: config.id })
      : err;

  return {
    id: config.id,
    type: 'gptge',
    capabilities: { remix: true, delete: false, variants: ['video'] },

    async create(job, ctx) {
      const raw = buildCreateBody(job, config.encoding);
      return pool.withNextCredential(async (credential) => accepted(await client.create({ raw }, credential, ctx), credential, ctx));
    },

    async status(ref, ctx) {
      const body = await client.retrieve(ref.upstreamId, pool.byFingerprint(ref.credential), ctx);
      return observedState(toUpstreamState(body), pool, ctx.log, ref.upstreamId);
    },

    async content(ref, req, ctx): Promise<ContentResponse> {
      const credential = pool.byFingerprint(ref.credential);
      const direct = ref.last.contentUrl;
      if (direct !== undefined) {
        try {
          return await fetchContent({
            dispatcher: deps.dispatcher,
            url: direct,
            baseOrigin: client.baseOrigin,
            credential,
            range: req.range,
            variant: req.variant,
            signal: ctx.signal,
            errors: { pool, providerId: config.id, log: ctx.log },
            jsonUrl: contentJsonUrl,
          });
        } catch (err) {
          // Reseller file URLs expire (about 2 h); the /content proxy still serves the job.
          if (!(err instanceof NotFoundError)) throw notReady(err);
          ctx.log.info({ provider: config.id, upstreamId: ref.upstreamId }, 'direct content URL no longer serves; falling back to /content');
        }
      }
      try {
        return await client.content(ref.upstreamId, { variant: req.variant, range: req.range, sendVariant: false, jsonUrl: contentJsonUrl }, credential, ctx);
      } catch (err) {
        throw notReady(err);
      }
    },

    async remix(ref, prompt, ctx) {
      const credential = pool.byFingerprint(ref.credential);
      return accepted(await client.remix(ref.upstreamId, prompt, credential, ctx), credential, ctx);
    },

    health: () => pool.health(),

    async close() {
      await deps.dispatcher.close();
    },
  };
}
