import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const MINIMAL = `
keys:
  - name: dev
    key: \${REELAY_DEV_KEY:-sk-reelay-dev}
providers:
  - id: sandbox
    type: sandbox
models:
  sandbox-video:
    - provider: sandbox
`;

const problemsOf = (text: string, env: Record<string, string> = {}): readonly string[] => {
  try {
    parseConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('fills every default and freezes the result', () => {
    const config = parseConfig(MINIMAL, {});
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      shutdown_timeout_s: 25,
      headers_timeout_s: 30,
      request_timeout_s: 120,
      keep_alive_timeout_s: 72,
      connection_timeout_s: 300,
      trust_proxy: false,
    });
    expect(config.store).toMatchObject({ type: 'memory', prefix: 'reelay:', retention_days: 30 });
    expect(config.limits).toEqual({ upload_bytes: 20 * 1024 * 1024, drain_bytes: 64 * 1024 * 1024 });
    expect(config.readyz).toEqual({ details: false });
    expect(config.metrics).toEqual({ public: false });
    expect(config.poll).toMatchObject({ initial_ms: 2000, max_ms: 15000, min_interval_ms: 1000, concurrency: 64 });
    expect(config.store.status_cache_ms).toBe(1000);
    expect(config.keys[0]!.key).toBe('sk-reelay-dev');
    expect(Object.isFrozen(config.keys[0])).toBe(true);
  });

  it('substitutes ${VAR} and ${VAR:-default} inside scalars, flow sequences included', () => {
    const config = parseConfig(
      `
server:
  port: \${PORT:-9000}
keys:
  - name: alice
    key: \${ALICE_KEY}
providers:
  - id: gptge
    type: gptge
    base_url: https://api.gpt.ge/v1
    api_keys: [\${K1}, \${K2}]
models:
  sora-2:
    - provider: gptge
`,
      { ALICE_KEY: 'sk-alice-with#hash: and quotes"', K1: 'k-one', K2: 'k-two', PORT: '' },
    );
    expect(config.server.port).toBe(9000);
    expect(config.keys[0]!.key).toBe('sk-alice-with#hash: and quotes"');
    expect(config.providers[0]).toMatchObject({ api_keys: ['k-one', 'k-two'], timeout_ms: 30000, encoding: 'multipart' });
  });

  it.each([
    [
      'an invalid provider URL, by path',
      MINIMAL.replace('type: sandbox\n', 'type: sandbox\n  - id: up\n    type: openai\n    base_url: not a url\n    api_keys: [k]\n'),
      'providers[1].base_url: Invalid URL',
    ],
    ['an unknown key (a typo)', `${MINIMAL}\nserver:\n  prot: 1\n`, 'server.prot: unknown key (typo?)'],
    ['a model alias naming an unknown provider', MINIMAL.replace('- provider: sandbox', '- provider: nowhere'), 'models.sandbox-video[0].provider: unknown provider "nowhere"'],
    ['an unset variable without default', MINIMAL.replace('${REELAY_DEV_KEY:-sk-reelay-dev}', '${NOPE}'), 'keys[0].key: environment variable NOPE is not set'],
    ['a key with both key and sha256', MINIMAL.replace('name: dev', `name: dev\n    sha256: ${'a'.repeat(64)}`), 'keys[0]: give exactly one of `key` or `sha256`'],
    ['an unknown store type', `${MINIMAL}\nstore:\n  type: mongo\n`, 'store.type:'],
    ['a key allow-list naming an unknown alias', MINIMAL.replace('key: ${REELAY_DEV_KEY:-sk-reelay-dev}', 'key: sk-reelay-dev\n    models: [nope]'), 'keys[0].models[0]: unknown model alias "nope"'],
  ])('reports %s', (_label, text, expected) => {
    expect(problemsOf(text).some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reads a substituted true or false as a boolean, and nothing else', () => {
    const text = `${MINIMAL}webhooks:\n  allow_private: \${PRIVATE}\nreadyz:\n  details: \${DETAILS:-false}\n`;
    const config = parseConfig(text, { PRIVATE: 'true' });
    expect([config.webhooks.allow_private, config.readyz.details]).toEqual([true, false]);
    expect(problemsOf(text, { PRIVATE: 'yes' })).toEqual(['webhooks.allow_private: Invalid input: expected boolean, received string']);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(`
server:
  port: 99999
keys: []
providers:
  - id: Bad Id
    type: sandbox
models: {}
`);
    expect(problems.length).toBeGreaterThanOrEqual(4);
    expect(problems.join('\n')).toMatch(/server\.port/);
    expect(problems.join('\n')).toMatch(/providers\[0\]\.id/);
  });

  // The settings the performance work added: hostile values are refused by path, never clamped (a numeric string is a number, as ${VAR} substitutions arrive).
  it.each([
    ['store', 'status_cache_ms', '-1'],
    ['store', 'status_cache_ms', '60001'],
    ['store', 'status_cache_ms', '1.5'],
    ['store', 'status_cache_ms', '"abc"'],
    ['store', 'status_cache_ms', '[]'],
    ['store', 'status_cache_ms', '{__proto__: 1}'],
    ['poll', 'concurrency', '0'],
    ['poll', 'concurrency', '1025'],
    ['poll', 'concurrency', '1e400'],
    ['poll', 'concurrency', 'constructor'],
  ])('refuses %s.%s: %s', (section, field, value) => {
    const problems = problemsOf(`${MINIMAL}${section}:\n  ${field}: ${value}\n`);
    expect(problems.join('\n')).toMatch(new RegExp(`${section}\\.${field}`));
  });

  it('accepts status_cache_ms 0 (the cache off) and poll.concurrency at its bounds', () => {
    expect(parseConfig(`${MINIMAL}store:\n  status_cache_ms: 0\n`, {}).store.status_cache_ms).toBe(0);
    expect(parseConfig(`${MINIMAL}poll:\n  concurrency: 1\n`, {}).poll.concurrency).toBe(1);
    expect(parseConfig(`${MINIMAL}poll:\n  concurrency: 1024\n`, {}).poll.concurrency).toBe(1024);
  });

  it('reports YAML syntax errors', () => {
    expect(problemsOf('keys: [unclosed')[0]).toMatch(/^\(yaml\)/);
  });
});
