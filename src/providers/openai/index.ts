import type { ProviderConfig } from '../../config/schema.js';
import type { Logger } from '../../logger.js';
import { openAICompatibleAdapter } from '../http/openai-compatible/adapter.js';
import { buildCreateForm } from '../http/openai-compatible/form.js';
import type { AcceptedJob, ProviderCapabilities, ProviderDeps, VideoProvider } from '../types.js';
import { openAIVideoToState } from './transform.js';
import { OpenAIVideoSchema, type OpenAIVideo } from './wire.js';

/**
 * OpenAI's own Videos API (https://platform.openai.com/docs/api-reference/videos):
 * every verb, every variant. The create body is what the official SDK sends.
 */

type OpenAIConfig = Extract<ProviderConfig, { type: 'openai' }>;

export const OPENAI_CAPABILITIES: ProviderCapabilities = Object.freeze({
  remix: true,
  delete: true,
  variants: Object.freeze(['video', 'thumbnail', 'spritesheet'] as const),
  // seconds and sizes are left undeclared: OpenAI validates them per model and its 400 comes back as is.
});

export function createOpenAIProvider(config: OpenAIConfig, deps: ProviderDeps): VideoProvider {
  const { pool, api, toState } = openAICompatibleAdapter({ config, deps, videoSchema: OpenAIVideoSchema, transform: openAIVideoToState });

  const accepted = (video: OpenAIVideo, fingerprint: string, log: Logger): AcceptedJob => ({
    upstreamId: video.id,
    credential: fingerprint,
    state: toState(video, log),
  });

  return {
    id: config.id,
    type: 'openai',
    capabilities: OPENAI_CAPABILITIES,

    async create(job, ctx) {
      const raw = buildCreateForm(job, { providerId: config.id, imageUrl: true, fileId: true });
      return pool.withNextCredential(async (credential) => accepted(await api.create({ raw }, credential, ctx), credential.fingerprint, ctx.log));
    },

    async status(ref, ctx) {
      const video = await api.retrieve(ref.upstreamId, pool.byFingerprint(ref.credential), ctx);
      return toState(video, ctx.log, ref.last);
    },

    content(ref, req, ctx) {
      return api.content(ref.upstreamId, { variant: req.variant, range: req.range, sendVariant: true }, pool.byFingerprint(ref.credential), ctx);
    },

    async remix(ref, prompt, ctx) {
      const credential = pool.byFingerprint(ref.credential);
      const video = await api.remix(ref.upstreamId, prompt, credential, ctx);
      return accepted(video, credential.fingerprint, ctx.log);
    },

    async delete(ref, ctx) {
      await api.remove(ref.upstreamId, pool.byFingerprint(ref.credential), ctx);
    },

    health: () => pool.health(),

    async close() {
      await deps.dispatcher.close();
    },
  };
}
