import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { ProviderConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createAimlapiProvider } from './aimlapi/index.js';
import { createGptgeProvider } from './gptge/index.js';
import { createProviderDispatcher } from './http/dispatcher.js';
import type { Metrics } from '../metrics.js';
import { meteredProvider } from './metered.js';
import { createMintlifyProvider } from './mintlify/index.js';
import { createOpenAIProvider } from './openai/index.js';
import { createSandboxProvider } from './sandbox/index.js';
import type { ProviderDeps, VideoProvider } from './types.js';

type Factory<T extends ProviderConfig['type']> = (
  config: Extract<ProviderConfig, { type: T }>,
  deps: ProviderDeps,
) => VideoProvider;

/** Each provider type's factory; adding a type is one line here plus its folder. */
const FACTORIES: { [T in ProviderConfig['type']]?: Factory<T> } = {
  sandbox: createSandboxProvider,
  openai: createOpenAIProvider,
  mintlify: createMintlifyProvider,
  gptge: createGptgeProvider,
  aimlapi: createAimlapiProvider,
};

export interface RegistryDeps {
  logger: Logger;
  clock: Clock;
  /** Tests pass their own; production builds one keep-alive pool per provider. */
  dispatcherFor?: (config: ProviderConfig) => Dispatcher;
  /** When given, every provider is wrapped to count and time its upstream calls (metered.ts). */
  metrics?: Pick<Metrics, 'upstreamRequests' | 'upstreamDuration'> | undefined;
}

export type ProviderRegistry = ReadonlyMap<string, VideoProvider>;

const defaultDispatcher = (config: ProviderConfig): Dispatcher =>
  createProviderDispatcher({ timeoutMs: 'timeout_ms' in config ? config.timeout_ms : 30_000 });

export function createProviderRegistry(configs: readonly ProviderConfig[], deps: RegistryDeps): ProviderRegistry {
  const registry = new Map<string, VideoProvider>();
  configs.forEach((config, i) => {
    const factory = FACTORIES[config.type] as Factory<typeof config.type> | undefined;
    if (!factory) throw new ConfigError([`providers[${i}].type: provider type "${config.type}" is not available in this build`]);
    const dispatcher = (deps.dispatcherFor ?? defaultDispatcher)(config);
    const logger = deps.logger.child({ provider: config.id });
    const provider = factory(config as never, { logger, clock: deps.clock, dispatcher });
    registry.set(config.id, deps.metrics ? meteredProvider(provider, deps.metrics, deps.clock) : provider);
  });
  return registry;
}

export async function closeProviders(registry: ProviderRegistry): Promise<void> {
  await Promise.allSettled([...registry.values()].map((p) => p.close?.()));
}
