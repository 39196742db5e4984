import { TEST_KEY } from './reelay.js';

/** The key the counting upstream accepts; Reelay's `openai` provider sends it. */
export const UPSTREAM_KEY = 'sk-upstream-counting-0001';

export const redisStore = (url: string, prefix: string): string => `store:\n  type: redis\n  url: ${url}\n  prefix: "${prefix}"`;

export const clusterStore = (urls: readonly string[], prefix: string): string =>
  `store:\n  type: redis\n  cluster:\n${urls.map((u) => `    - ${u}`).join('\n')}\n  prefix: "${prefix}"`;

export interface SharedYamlOptions {
  /** A `store:` block (redisStore, clusterStore). */
  store: string;
  /** The counting upstream's base URL (including /v1). */
  upstream: string;
  /** `poll:` entries, indented by two spaces. */
  poll?: string;
  /** Extra `keys:` entries after alice's, indented by two spaces. */
  keys?: string;
}

/** Reelay in front of one OpenAI-dialect upstream: the `openai` provider type, model alias sora-2. */
export function sharedYaml(o: SharedYamlOptions): string {
  return `
${o.store}
keys:
  - name: alice
    key: ${TEST_KEY}
    poll_rpm: 100000
${o.keys ?? ''}
poll:
${o.poll ?? '  initial_ms: 200\n  max_ms: 1000\n  lease_ms: 1000\n  stale_ms: 200\n  min_interval_ms: 200'}
providers:
  - id: upstream
    type: openai
    base_url: ${o.upstream}
    api_keys: [${UPSTREAM_KEY}]
    timeout_ms: 5000
models:
  sora-2:
    - provider: upstream
`;
}
