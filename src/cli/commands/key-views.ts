import type { GatewayKey } from '../../admin/schemas.js';
import { orDash, usd, utcTime } from '../format.js';
import type { Io } from '../io.js';
import { renderFields, renderTable } from '../table.js';

const models = (key: GatewayKey) => (key.models === null ? 'all' : key.models.join(','));
const yesNo = (value: boolean) => (value ? 'yes' : 'no');
const unlimited = (value: number | null, unit = '') => (value === null ? 'unlimited' : `${value}${unit}`);

/** The limits that are set, compactly: `rpm 60, poll 600, conc 2, 30 s/day, 600 s/mo, $5.00/mo, exp 2027-01-01`. */
export function limitsSummary(key: GatewayKey): string {
  const parts = [
    key.rpm === null ? undefined : `rpm ${key.rpm}`,
    `poll ${key.poll_rpm}`,
    key.max_concurrent === null ? undefined : `conc ${key.max_concurrent}`,
    key.seconds_per_day === null ? undefined : `${key.seconds_per_day} s/day`,
    key.seconds_per_month === null ? undefined : `${key.seconds_per_month} s/mo`,
    key.usd_per_month === null ? undefined : `${usd(key.usd_per_month)}/mo`,
    key.expires_at === null ? undefined : `exp ${utcTime(key.expires_at).slice(0, 10)}`,
  ];
  return parts.filter((p) => p !== undefined).join(', ');
}

export function keysTable(keys: readonly GatewayKey[]): string {
  if (keys.length === 0) return 'No keys.';
  const columns = ['ID', 'NAME', 'SOURCE', 'REDACTED', 'MODELS', 'LIMITS', 'DISABLED', 'CREATED', 'LAST USED'].map((header) => ({ header }));
  const rows = keys.map((k) => [k.id, k.name, k.source, orDash(k.redacted), models(k), limitsSummary(k), yesNo(k.disabled), utcTime(k.created_at), utcTime(k.last_used_at, 'never')]);
  return renderTable(columns, rows);
}

/** One key, every field, named as on the wire (and as the flags that set them). */
export function keyDetails(key: GatewayKey): string {
  const metadata = key.metadata === null ? '-' : Object.entries(key.metadata).map(([k, v]) => `${k}=${v}`).join(', ');
  return renderFields([
    ['id', key.id],
    ['name', key.name],
    ['source', key.source],
    ['redacted', orDash(key.redacted)],
    ['disabled', yesNo(key.disabled)],
    ['models', models(key)],
    ['rpm', unlimited(key.rpm)],
    ['poll_rpm', String(key.poll_rpm)],
    ['max_concurrent', unlimited(key.max_concurrent)],
    ['seconds_per_day', unlimited(key.seconds_per_day)],
    ['seconds_per_month', unlimited(key.seconds_per_month)],
    ['usd_per_month', key.usd_per_month === null ? 'unlimited' : usd(key.usd_per_month)],
    ['expires_at', utcTime(key.expires_at, 'never')],
    ['metadata', metadata],
    ['webhook_url', orDash(key.webhook_url)],
    ['created_at', utcTime(key.created_at)],
    ['last_used_at', utcTime(key.last_used_at, 'never')],
    ...(key.previous_secret_expires_at === null ? [] : [['previous secret', `works until ${utcTime(key.previous_secret_expires_at)}`] as const]),
  ]);
}

/** Secrets an answer may carry this once: the key's own, and the webhook signing secret minted with a webhook_url. */
type WithSecrets = GatewayKey & { secret?: string; webhook_secret?: string };

/** New secrets: on stdout with the key (or inside the JSON), and a warning on stderr that they are shown this once. */
export function showSecret(io: Io, json: boolean, key: WithSecrets): void {
  const secrets = [
    ...(key.secret === undefined ? [] : [`secret          ${key.secret}`]),
    ...(key.webhook_secret === undefined ? [] : [`webhook_secret  ${key.webhook_secret}`]),
  ];
  if (json) io.json(key);
  else io.out(secrets.length === 0 ? keyDetails(key) : `${keyDetails(key)}\n\n${secrets.join('\n')}`);
  if (key.secret !== undefined) io.err('This secret will not be shown again: store it now. Reelay keeps only its digest.');
  if (key.webhook_secret !== undefined) io.err('The webhook secret will not be shown again: your receiver verifies signatures with it.');
}
