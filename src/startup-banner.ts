import type { Config } from './config/schema.js';
import { defaultModel } from './videos/routing.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The key config/reelay.yaml falls back to: public knowledge, so the only secret ever printed. */
export const EMBEDDED_DEV_KEY = 'sk-reelay-dev';

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
  ];
  return { url, keyName: first.name, text: `${lines.join('\n')}\n` };
}

/** The embedded default key is public knowledge: using it beyond loopback deserves a loud warning. */
export function insecureDefaultKey(config: Config): boolean {
  return !LOOPBACK.has(config.server.host) && config.keys.some((k) => k.key === EMBEDDED_DEV_KEY);
}
