import { call, type Reply } from '../hostile/support.js';
import { sandboxYaml, type RunningReelay } from '../helpers/reelay.js';

/** The admin key every admin test config holds, named `root`. */
export const ADMIN_KEY = 'sk-admin-test-key-0123456789';

export const adminBlock = (key = ADMIN_KEY): string => `admin:\n  keys:\n    - name: root\n      key: ${key}\n`;

/** sandboxYaml (alice and bob as config keys, memory store unless given) plus the admin key. */
export const adminYaml = (extra: Parameters<typeof sandboxYaml>[0] = {}): string => `${sandboxYaml(extra)}${adminBlock()}`;

export interface AdminReply extends Reply {
  /** The parsed JSON body (undefined when the body is not JSON). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: shapes are asserted with schemas
}

export interface AdminClient {
  request(method: string, path: string, body?: unknown, key?: string | null): Promise<AdminReply>;
  /** Every response body this client has read, for the no-secret grep. */
  texts: string[];
}

/** Requests under /admin/v1 with the admin key; bodies are JSON. */
export function adminClient(reelay: RunningReelay, key: string | null = ADMIN_KEY): AdminClient {
  const texts: string[] = [];
  return {
    texts,
    async request(method, path, body, keyOverride) {
      const res = await call(reelay, method, `/admin/v1${path}`, {
        key: keyOverride === undefined ? key : keyOverride,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      texts.push(res.text);
      let json: unknown;
      try {
        json = JSON.parse(res.text);
      } catch {
        json = undefined;
      }
      return { ...res, json };
    },
  };
}

/** Real ms from `started` (default: now) until `check` holds, checked every 5 ms; fails after 3 s. */
export async function msUntil(check: () => Promise<boolean>, started = performance.now()): Promise<number> {
  while (performance.now() - started < 3000) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not met within 3 s');
}
