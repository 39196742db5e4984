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
