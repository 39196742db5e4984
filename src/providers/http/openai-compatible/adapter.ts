import type { z } from 'zod';
import type { Logger } from '../../../logger.js';
import type { ProviderDeps, UpstreamState } from '../../types.js';
import { CredentialPool } from '../credential-pool.js';
import { observedState } from '../observed-state.js';
import { OpenAICompatibleClient } from './client.js';

/**
 * The wiring every plain OpenAI-shaped adapter starts with: its credential pool,
 * an OpenAICompatibleClient over it, and `toState` — the adapter's own pure
 * transform (and so its own status table) followed by observedState.
 */

/** What a video object must carry for the unknown-status warning. */
type VideoLike = { id: string; status?: string | null | undefined };

export interface OpenAICompatibleAdapterOptions<S extends z.ZodType<VideoLike>> {
  config: { id: string; base_url: string; api_keys: readonly string[] };
  deps: ProviderDeps;
  /** The provider's video object schema. */
  videoSchema: S;
  /** The provider's pure video → state transform (its status table lives in its folder). */
  transform: (video: z.output<S>, last?: UpstreamState) => UpstreamState;
}

export interface OpenAICompatibleAdapter<S extends z.ZodType<VideoLike>> {
  pool: CredentialPool;
  api: OpenAICompatibleClient<S>;
  /** `transform`, then observedState: pool keys scrubbed from the job error, an unknown status word logged. */
  toState: (video: z.output<S>, log: Logger, last?: UpstreamState) => UpstreamState;
}

export function openAICompatibleAdapter<S extends z.ZodType<VideoLike>>(opts: OpenAICompatibleAdapterOptions<S>): OpenAICompatibleAdapter<S> {
  const { config, deps, videoSchema, transform } = opts;
  const pool = new CredentialPool(config.id, config.api_keys, deps);
  const api = new OpenAICompatibleClient({
    providerId: config.id,
    baseUrl: config.base_url,
    dispatcher: deps.dispatcher,
    pool,
    videoSchema,
  });

  const toState = (video: z.output<S>, log: Logger, last?: UpstreamState): UpstreamState =>
    observedState(transform(video, last), pool, log, video.id);

  return { pool, api, toState };
}
