import pino, { type DestinationStream, type LoggerOptions } from 'pino';

/**
 * The logger contract every module receives. Fastify's request logger and a
 * plain pino logger both satisfy it, so providers and stores never import Fastify.
 */
export interface Logger {
  fatal(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  trace(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Paths pino censors. Keys are never logged on purpose; these are the belt to
 * that pair of braces, for headers that might be logged by a serializer.
 */
export const REDACT_PATHS = [
  // Explicit paths only: pino's wildcard redaction costs tens of µs on every line.
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  // @fastify/multipart logs its busboy options, request headers included, at trace level.
  'busboyOptions.headers.authorization',
  'api_key',
  'api_keys',
  'apiKey',
  'provider.api_key',
  'provider.api_keys',
  'config.keys',
]

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const isLogLevel = (value: string): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value);

/** `LOG_FORMAT`: JSON lines for machines (the default), or pino-pretty's coloured lines for a human at a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const isLogFormat = (value: string): value is LogFormat => (LOG_FORMATS as readonly string[]).includes(value);

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'reelay' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"warn", not 40: log pipelines and people filter on words (pino-pretty reads both).
    formatters: { level: (label) => ({ level: label }) },
  };
}

export function createLogger(level = 'info', destination?: DestinationStream): pino.Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
