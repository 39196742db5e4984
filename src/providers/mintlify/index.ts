import type { ProviderConfig } from '../../config/schema.js';
import { openAICompatibleAdapter } from '../http/openai-compatible/adapter.js';
import { buildCreateForm } from '../http/openai-compatible/form.js';
import type { ProviderCapabilities, ProviderDeps, VideoProvider } from '../types.js';
import { mintlifyVideoToState } from './transform.js';
import { MintlifyVideoSchema } from './wire.js';

/**
 * apigo.ai-style provider documented on Mintlify (seed 003, providers.md §4):
 * multipart-only create with `model` always sent, poll, then `/content`.
 * No remix, no delete, no thumbnail or spritesheet; 720p sizes only.
 */

type MintlifyConfig = Extract<ProviderConfig, { type: 'mintlify' }>;

export const MINTLIFY_CAPABILITIES: ProviderCapabilities = Object.freeze({
  remix: false,
  delete: false,
  variants: Object.freeze(['video'] as const),
  seconds: Object.freeze(['4', '8', '12']),
  sizes: Object.freeze(['720x1280', '1280x720']),
});

export function createMintlifyProvider(config: MintlifyConfig, deps: ProviderDeps): VideoProvider {
  const { pool, api, toState } = openAICompatibleAdapter({ config, deps, videoSchema: MintlifyVideoSchema, transform: mintlifyVideoToState });

  return {
    id: config.id,
    type: 'mintlify',
    capabilities: MINTLIFY_CAPABILITIES,

    async create(job, ctx) {
      // Only a file part is documented for input_reference: a data URL is sent as one, other URLs are refused.
      const raw = buildCreateForm(job, { providerId: config.id, imageUrl: false, fileId: false });
      return pool.withNextCredential(async (credential) => {
        const video = await api.create({ raw }, credential, ctx);
        return { upstreamId: video.id, credential: credential.fingerprint, state: toState(video, ctx.log) };
      });
    },

    async status(ref, ctx) {
      const video = await api.retrieve(ref.upstreamId, pool.byFingerprint(ref.credential), ctx);
      return toState(video, ctx.log, ref.last);
    },

    content(ref, req, ctx) {
      return api.content(ref.upstreamId, { variant: req.variant, range: req.range, sendVariant: false }, pool.byFingerprint(ref.credential), ctx);
    },

    health: () => pool.health(),

    async close() {
      await deps.dispatcher.close();
    },
  };
}
