import type { Config } from './config/schema.js';
import { defaultModel } from './videos/routing.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The key config/reelay.yaml falls back to: public knowledge, so the only secret ever printed. */
export const EMBEDDED_DEV_KEY = 'sk-reelay-dev';
/** The admin key config/reelay.yaml falls back to; public too, so it is refused beyond loopback. */
export const EMBEDDED_ADMIN_KEY = 'sk-reelay-admin-dev';

const isLoopback = (config: Config): boolean => LOOPBACK.has(config.server.host);

export interface StartupBanner {
  /** The base URL clients take, e.g. http://127.0.0.1:8080/v1. */
  url: string;
  /** The first key's name: the JSON log line carries this, never a secret. */
  keyName: string;
  /** Plain text for stderr: a curl a developer can paste as it is. */
  text: string;
}

/**
 * What start-up tells a human. The curl carries the secret only when it is the
 * embedded development key; any other key is referred to by name, and the curl
 * reads it from `$REELAY_KEY`, so no real secret reaches a terminal or a log.
 */
export function startupBanner(config: Config, port: number): StartupBanner {
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}/v1`;
  const first = config.keys[0]!;
  const embedded = first.key === EMBEDDED_DEV_KEY;
  const bearer = embedded ? EMBEDDED_DEV_KEY : '$REELAY_KEY';
  // Single-quoted for the shell; an alias holding a quote stays pasteable.
  const body = JSON.stringify({ model: defaultModel(config.models), prompt: 'A calico cat playing a piano on stage' }).replaceAll("'", "'\\''");
  const lines = [
    `Reelay listening on ${url}`,
    embedded ? `  key: ${first.name} (${EMBEDDED_DEV_KEY}, the embedded development key)` : `  key: ${first.name} (export REELAY_KEY=<its secret> to use the curl below)`,
    `  try: curl -s ${url}/videos -H "Authorization: Bearer ${bearer}" -H 'Content-Type: application/json' -d '${body}'`,
    ...adminLines(config, url.slice(0, -'/v1'.length)),
  ];
  return { url, keyName: first.name, text: `${lines.join('\n')}\n` };
}

/** The admin API's line: its URL and key, named (the secret only when it is the public default). */
function adminLines(config: Config, origin: string): string[] {
  const [admin] = config.admin.keys;
  if (!admin || !adminApiEnabled(config)) return [];
  const key = admin.key === EMBEDDED_ADMIN_KEY ? `${admin.name} (${EMBEDDED_ADMIN_KEY}, the embedded development admin key)` : `${admin.name} (its secret goes in REELAY_ADMIN_KEY)`;
  return [`  admin: ${origin}/admin/v1, key: ${key}; the CLI takes REELAY_URL=${origin}`];
}

/** The embedded default key is public knowledge: using it beyond loopback deserves a loud warning. */
export function insecureDefaultKey(config: Config): boolean {
  return !isLoopback(config) && config.keys.some((k) => k.key === EMBEDDED_DEV_KEY);
}

/** The public default admin key beyond loopback: the admin API stays off rather than open to anyone. */
export function insecureDefaultAdminKey(config: Config): boolean {
  return !isLoopback(config) && config.admin.keys.some((k) => k.key === EMBEDDED_ADMIN_KEY);
}

/** The SSRF guard off on a reachable address: webhooks may be aimed at the internal network. */
export function privateWebhooksBeyondLoopback(config: Config): boolean {
  return !isLoopback(config) && config.webhooks.allow_private;
}

/** The admin API is on when admin keys are configured, unless one of them is the public default beyond loopback. */
export const adminApiEnabled = (config: Config): boolean => config.admin.keys.length > 0 && !insecureDefaultAdminKey(config);
