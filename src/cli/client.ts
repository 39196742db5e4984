import type { Connection } from './connection.js';
import { ApiError, ConnectionError } from './errors.js';

export type Query = Record<string, string | number | undefined>;

/** How long one request may take before the CLI gives up on it. */
const TIMEOUT_MS = 30_000;

interface Envelope {
  error: { message: string; code?: string | null; param?: string | null };
}

const isEnvelope = (body: unknown): body is Envelope =>
  typeof body === 'object' && body !== null && typeof (body as Envelope).error?.message === 'string';

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Why fetch failed, in the words of the socket (`connect ECONNREFUSED 127.0.0.1:1`) where it has them. */
function reason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The admin API over Node's fetch: JSON in, JSON out, the server's error envelope as an ApiError. */
export class AdminClient {
  constructor(private readonly connection: Connection) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, {}, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, {}, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  private async request<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const url = new URL(`admin/v1${path}`, this.connection.root);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    const where = `${url.origin}${url.pathname}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.connection.adminKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';

    let status: number;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = response.status;
      text = await response.text();
    } catch (err) {
      throw new ConnectionError(`could not reach ${where} (${reason(err)}). Is Reelay running there? REELAY_URL or --url names the server root.`);
    }

    const parsed = parseJson(text);
    if (status >= 200 && status < 300 && parsed !== undefined) return parsed as T;
    if (isEnvelope(parsed)) throw new ApiError(parsed.error.message, status, parsed.error.code ?? null, parsed.error.param ?? null);
    throw new ApiError(`unexpected answer from ${where}: not a Reelay JSON response`, status, null);
  }
}
