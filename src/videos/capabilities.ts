import { InvalidRequestError } from '../errors.js';
import type { Variant } from '../openai/videos.js';
import type { VideoProvider } from '../providers/types.js';

export type OptionalVerb = { verb: 'remix' } | { verb: 'content'; variant: Variant };

/**
 * The single place that refuses a verb a provider lacks. Adapters only declare
 * capabilities; they never carry "not implemented" stubs.
 */
export function requireCapability(provider: VideoProvider, need: OptionalVerb): void {
  const { capabilities } = provider;
  if (need.verb === 'remix' && !(capabilities.remix && provider.remix)) {
    throw new InvalidRequestError('Remix is not supported by the provider that created this video.', {
      param: 'video_id',
      code: 'unsupported_operation',
    });
  }
  if (need.verb === 'content' && !capabilities.variants.includes(need.variant)) {
    const offered = capabilities.variants.map((v) => `'${v}'`).join(', ');
    throw new InvalidRequestError(
      `The '${need.variant}' variant is not available for this video; its provider offers: ${offered}.`,
      { param: 'variant', code: 'unsupported_variant' },
    );
  }
}
