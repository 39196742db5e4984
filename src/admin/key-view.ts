import type { KeyInfo } from '../keys/key-admin.js';
import { DEFAULT_POLL_RPM } from '../keys/settings.js';
import type { GatewayKey } from './schemas.js';

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

/** A key on the wire: snake_case, unix seconds, every setting present (absent ones as null). */
export function toGatewayKey(key: KeyInfo): GatewayKey {
  const s = key.settings;
  return {
    object: 'gateway.key',
    id: key.id,
    name: key.name,
    redacted: key.redacted,
    source: key.source,
    disabled: s.disabled ?? false,
    created_at: seconds(key.createdAt),
    last_used_at: seconds(key.lastUsedAt),
    models: s.models ?? null,
    rpm: s.rpm ?? null,
    poll_rpm: s.poll_rpm ?? DEFAULT_POLL_RPM,
    max_concurrent: s.max_concurrent ?? null,
    seconds_per_day: s.seconds_per_day ?? null,
    seconds_per_month: s.seconds_per_month ?? null,
    usd_per_month: s.usd_per_month ?? null,
    expires_at: s.expires_at ?? null,
    metadata: s.metadata ?? null,
    webhook_url: s.webhook_url ?? null,
    previous_secret_expires_at: seconds(key.previousSecretExpiresAt),
  };
}
