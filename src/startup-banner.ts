import type { Config } from './config/schema.js';
import { defaultModel } from './videos/routing.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The start-up line: URL, key and a ready-to-paste curl. The key itself is
 * printed only when Reelay listens on loopback (a developer's machine, where
 * the embedded default key lives); anywhere else only its name is shown.
 */
export function startupBanner(config: Config, port: number): string {
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/v1`;
  const first = config.keys[0]!;
  const showKey = LOOPBACK.has(config.server.host) && first.key !== undefined;
  const key = showKey ? first.key! : `<key "${first.name}">`;
  const model = defaultModel(config.models);
  return [
    `Reelay listening on ${url} (key: ${key})`,
    `  try: curl -s ${url}/videos -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d '{"model":"${model}","prompt":"A calico cat playing a piano on stage"}'`,
  ].join('\n');
}

/** The embedded default key is public knowledge: using it beyond loopback deserves a loud warning. */
export function insecureDefaultKey(config: Config): boolean {
  return !LOOPBACK.has(config.server.host) && config.keys.some((k) => k.key === 'sk-reelay-dev');
}
