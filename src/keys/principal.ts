import { DEFAULT_POLL_RPM, type KeySettings } from './settings.js';

/**
 * Who is calling /v1: a gateway key's identity and limits, never its secret.
 * Built once per key and cached; every request of that key shares it.
 */
export interface Principal {
  /** Public, stable id (`key_…`): what admins, usage and audit name. */
  id: string;
  /** Unique label; may change (dynamic keys), so nothing is keyed on it. */
  name: string;
  /**
   * The token the key's videos and per-key state (slots, budgets, rate limits)
   * are filed under: the id for dynamic keys, the name for config keys, whose
   * videos were filed by name before keys had ids.
   */
  owner: string;
  source: 'config' | 'api';
  models?: readonly string[] | undefined;
  rpm?: number | undefined;
  pollRpm?: number | undefined;
  maxConcurrent?: number | undefined;
  secondsPerDay?: number | undefined;
  secondsPerMonth?: number | undefined;
  usdPerMonth?: number | undefined;
  webhookUrl?: string | undefined;
}

/** The settings a principal is built from, wherever the key is defined (config file or store). */
type PrincipalSettings = Pick<KeySettings, 'models' | 'rpm' | 'poll_rpm' | 'max_concurrent' | 'seconds_per_day' | 'seconds_per_month' | 'usd_per_month' | 'webhook_url'>;

/** A frozen principal from a key's identity and settings; `poll_rpm` falls back to its default. */
export function principalFrom(identity: Pick<Principal, 'id' | 'name' | 'owner' | 'source'>, s: PrincipalSettings): Principal {
  return Object.freeze({
    ...identity,
    models: s.models,
    rpm: s.rpm,
    pollRpm: s.poll_rpm ?? DEFAULT_POLL_RPM,
    maxConcurrent: s.max_concurrent,
    secondsPerDay: s.seconds_per_day,
    secondsPerMonth: s.seconds_per_month,
    usdPerMonth: s.usd_per_month,
    webhookUrl: s.webhook_url,
  } satisfies Principal);
}
