/**
 * The one error hierarchy of Reelay. Every failure a client can see is a
 * GatewayError; the HTTP error handler is the only place that turns one into
 * OpenAI's `{"error":{message,type,param,code}}` envelope. Subclasses mirror
 * the status classes of the official SDK (BadRequestError, NotFoundError, …).
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'upstream_error'
  | 'service_unavailable';

export interface GatewayErrorOptions {
  param?: string | null;
  code?: string | null;
  /** Extra response headers, e.g. retry-after or x-should-retry. */
  headers?: Record<string, string>;
  /** Create may fail over to the alias's next target (connection error, timeout, 429, 5xx). */
  failover?: boolean;
  /**
   * The provider id involved, for the operator's log line only. Clients never
   * see provider names (the README's promise); they get the request id instead.
   */
  provider?: string;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;
  readonly failover: boolean;
  readonly provider: string | undefined;

  constructor(status: number, type: ErrorType, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = type;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
    this.failover = options.failover ?? false;
    this.provider = options.provider;
  }
}

export class InvalidRequestError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(400, 'invalid_request_error', message, { code: 'invalid_value', ...options });
  }
}

export class AuthenticationError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(401, 'authentication_error', message, { code: 'invalid_api_key', ...options });
  }
}

export class PermissionDeniedError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(403, 'permission_error', message, { code: 'model_not_allowed', ...options });
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(404, 'invalid_request_error', message, { code: 'not_found', ...options });
  }
}

/** The request conflicts with the resource's state, e.g. changing a read-only config key. */
export class ConflictError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(409, 'invalid_request_error', message, { code: 'conflict', ...options });
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(413, 'invalid_request_error', message, { code: 'payload_too_large', ...options });
  }
}

export class UnsupportedMediaTypeError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(415, 'invalid_request_error', message, { code: 'unsupported_media_type', ...options });
  }
}

export class RangeNotSatisfiableError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(416, 'invalid_request_error', message, { code: 'range_not_satisfiable', param: 'range', ...options });
  }
}

export class RateLimitError extends GatewayError {
  constructor(message: string, retryAfterSeconds: number, options: GatewayErrorOptions = {}) {
    super(429, 'rate_limit_error', message, {
      code: 'rate_limit_exceeded',
      ...options,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))), ...options.headers },
    });
  }
}

/**
 * A key's budget (video-seconds per day or month, USD per month) cannot cover
 * the request. Retrying cannot help until the window resets, so the SDK is
 * told not to (x-should-retry: false), as OpenAI does for insufficient_quota.
 */
export class InsufficientQuotaError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(429, 'insufficient_quota', message, {
      code: 'insufficient_quota',
      ...options,
      headers: { 'x-should-retry': 'false', ...options.headers },
    });
  }
}

/** The upstream answered, but not usefully (5xx, bad body, our credential refused). */
export class UpstreamError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(502, 'upstream_error', message, { code: 'upstream_error', ...options });
  }
}

export class UpstreamTimeoutError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(504, 'upstream_error', message, { code: 'upstream_timeout', ...options });
  }
}

/** A dependency of ours (the store) is down; the client may retry later. */
export class ServiceUnavailableError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(503, 'service_unavailable', message, {
      code: 'service_unavailable',
      ...options,
      headers: { 'retry-after': '1', ...options.headers },
    });
  }
}

export class InternalError extends GatewayError {
  constructor(message = 'The server had an error while processing your request.', options: GatewayErrorOptions = {}) {
    super(500, 'server_error', message, { code: 'internal_error', ...options });
  }
}

/** Start-up cannot go on (e.g. a Redis too old); main prints the message, no stack. Never reaches a client. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Start-up configuration problems; never reaches a client. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
