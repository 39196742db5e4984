import { UsageError } from './errors.js';

/** Where the admin API is, and the key to present there. */
export interface Connection {
  /** The server root, always ending in `/` (a reverse proxy's path prefix is kept). */
  root: URL;
  adminKey: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

const given = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** Flags win over REELAY_URL and REELAY_ADMIN_KEY; the URL defaults to the embedded default's. */
export function resolveConnection(flags: { url?: string | undefined; adminKey?: string | undefined }, env: NodeJS.ProcessEnv): Connection {
  const raw = given(flags.url) ?? given(env.REELAY_URL) ?? DEFAULT_URL;
  const root = URL.canParse(raw) ? new URL(raw) : undefined;
  if (root === undefined || (root.protocol !== 'http:' && root.protocol !== 'https:')) {
    throw new UsageError(`'${raw}' is not an http(s) URL. REELAY_URL or --url is the server root, e.g. ${DEFAULT_URL}.`);
  }
  if (root.username !== '' || root.password !== '') throw new UsageError('REELAY_URL or --url must not carry a user name or password.');
  if (/\/(admin\/)?v1\/?$/.test(root.pathname)) {
    throw new UsageError(`REELAY_URL or --url is the server root (e.g. ${root.origin}), not '${root.pathname}'.`);
  }
  root.search = '';
  root.hash = '';
  if (!root.pathname.endsWith('/')) root.pathname += '/';

  const adminKey = given(flags.adminKey) ?? given(env.REELAY_ADMIN_KEY);
  if (adminKey === undefined) {
    throw new UsageError('No admin key: set REELAY_ADMIN_KEY or pass --admin-key (one of admin.keys in the server config).');
  }
  return { root, adminKey };
}
