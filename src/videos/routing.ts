import type { Config, ModelTarget } from '../config/schema.js';
import { InvalidRequestError } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { VideoProvider } from '../providers/types.js';

/** OpenAI's defaults, used when the target can serve them. */
export const DEFAULT_SECONDS = '4';
export const DEFAULT_SIZE = '720x1280';

export interface RoutedTarget {
  provider: VideoProvider;
  target: ModelTarget;
  upstreamModel: string;
  seconds: string;
  size: string;
}

export function defaultModel(models: Config['models']): string {
  return Object.hasOwn(models, 'sora-2') ? 'sora-2' : Object.keys(models)[0]!;
}

/**
 * The alias's targets, or undefined for an unknown alias. The alias is client
 * input: an own-property check, so `constructor` or `__proto__` is simply unknown.
 */
export function targetsOf(models: Config['models'], alias: string): readonly ModelTarget[] | undefined {
  return Object.hasOwn(models, alias) ? models[alias] : undefined;
}

const fits = (allowed: readonly string[] | undefined, value: string) => allowed === undefined || allowed.includes(value);
const pick = (allowed: readonly string[] | undefined, wanted: string | undefined, fallback: string) =>
  wanted ?? (fits(allowed, fallback) ? fallback : allowed![0]!);

/**
 * Orders the alias's targets for one request. A target's declared constraints
 * (or, when it declares none, its provider's) must fit the requested seconds
 * and size; values nobody declared are forwarded and left to the provider.
 */
export function routeTargets(
  alias: string,
  targets: readonly ModelTarget[],
  registry: ProviderRegistry,
  request: { seconds?: string | undefined; size?: string | undefined },
): RoutedTarget[] {
  const routed: RoutedTarget[] = [];
  const supported = { seconds: new Set<string>(), size: new Set<string>() };
  let rejectedBy: 'seconds' | 'size' | undefined;
  for (const target of targets) {
    const provider = registry.get(target.provider)!;
    const seconds = target.seconds ?? provider.capabilities.seconds;
    const sizes = target.sizes ?? provider.capabilities.sizes;
    seconds?.forEach((s) => supported.seconds.add(s));
    sizes?.forEach((s) => supported.size.add(s));
    if (request.seconds !== undefined && !fits(seconds, request.seconds)) {
      rejectedBy ??= 'seconds';
      continue;
    }
    if (request.size !== undefined && !fits(sizes, request.size)) {
      rejectedBy ??= 'size';
      continue;
    }
    routed.push({
      provider,
      target,
      upstreamModel: target.model ?? alias,
      seconds: pick(seconds, request.seconds, DEFAULT_SECONDS),
      size: pick(sizes, request.size, DEFAULT_SIZE),
    });
  }
  if (routed.length === 0) {
    const param = rejectedBy ?? 'seconds';
    const values = [...supported[param]].map((v) => `'${v}'`).join(', ');
    const got = param === 'seconds' ? request.seconds : request.size;
    throw new InvalidRequestError(
      `Invalid '${param}' for model '${alias}': '${got}' is not supported. Supported values are: ${values}.`,
      { param, code: 'unsupported_value' },
    );
  }
  return routed;
}
