/**
 * The three ways a command fails, and the exit code each gets: a usage error
 * (bad flags, no admin key) is 2; an API error (the server's envelope) and a
 * connection failure are 1.
 */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The server answered with an error: its envelope's message and code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** No answer at all: the URL that could not be reached and why. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** What an operator may do about some codes; the server's message says what happened. */
const HINTS: Readonly<Record<string, string>> = {
  unknown_url: 'Is the admin API enabled? It needs admin.keys in the config, and REELAY_URL is the server root.',
  invalid_api_key: 'Check REELAY_ADMIN_KEY or --admin-key: it must be one of admin.keys in the config.',
  missing_api_key: 'Set REELAY_ADMIN_KEY or pass --admin-key.',
};

/** The stderr lines for a failure, and its exit code. */
export function describeFailure(err: unknown): { lines: string[]; exitCode: 1 | 2 } {
  if (err instanceof UsageError) return { lines: [`reelay: ${err.message}`], exitCode: 2 };
  if (err instanceof ApiError) {
    const tag = [err.code, err.param === null ? null : `param ${err.param}`, `HTTP ${err.status}`].filter((p) => p !== null).join(', ');
    const hint = err.code === null ? undefined : HINTS[err.code];
    return { lines: [`reelay: ${err.message} (${tag})`, ...(hint === undefined ? [] : [hint])], exitCode: 1 };
  }
  if (err instanceof ConnectionError) return { lines: [`reelay: ${err.message}`], exitCode: 1 };
  return { lines: [`reelay: unexpected error: ${err instanceof Error ? err.message : String(err)}`], exitCode: 1 };
}
