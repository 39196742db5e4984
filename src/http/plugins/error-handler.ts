import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  GatewayError,
  InternalError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../errors.js';
import type { ErrorEnvelope } from '../../openai/videos.js';
import { drainRequest, type DrainLimits } from '../drain.js';
import { createRouteTable } from '../route-table.js';

export interface ErrorHandlerOptions {
  /** The JSON body limit, named in its 413. */
  jsonLimit: number;
  /** How much of an unread body an error reply waits for, so the client reads it instead of a reset. */
  drain: DrainLimits;
}

/** Paths echoed in messages are cut short: a client's URL is not ours to repeat at length. */
const echo = (text: string): string => (text.length > 100 ? `${text.slice(0, 100)}…` : text);
const pathOf = (url: string): string => echo(url.split('?')[0]!);

/** What Fastify and its plugins throw, by code, in our hierarchy; their own messages may echo client input. */
const FRAMEWORK_ERRORS: Readonly<Record<string, (jsonLimit: number) => GatewayError>> = Object.freeze({
  FST_ERR_CTP_BODY_TOO_LARGE: (limit) => new PayloadTooLargeError(`The request body is too large; the limit is ${limit} bytes.`),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new UnsupportedMediaTypeError('Unsupported Content-Type; send application/json or multipart/form-data.'),
  FST_INVALID_MULTIPART_CONTENT_TYPE: () => new UnsupportedMediaTypeError('Unsupported Content-Type; send application/json or multipart/form-data.'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new InvalidRequestError('We could not parse the JSON body of your request.', { code: 'invalid_json' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new InvalidRequestError('The JSON body of your request is empty.', { code: 'invalid_json' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new InvalidRequestError('The request body does not match its Content-Length.', { code: 'invalid_body' }),
  FST_ERR_BAD_URL: () => new InvalidRequestError('The request URL is not validly percent-encoded.', { code: 'invalid_url' }),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    new GatewayError(414, 'invalid_request_error', 'A path parameter of the request URL is longer than 100 characters.', { code: 'uri_too_long' }),
});

/** Translates what Fastify and its plugins throw into our hierarchy. Only a real bug becomes a 500. */
export function toGatewayError(err: unknown, jsonLimit: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const fe = err as { code?: unknown; statusCode?: unknown };
  const known = typeof fe.code === 'string' && Object.hasOwn(FRAMEWORK_ERRORS, fe.code) ? FRAMEWORK_ERRORS[fe.code] : undefined;
  if (known) return known(jsonLimit);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const status = fe.statusCode;
    return new GatewayError(status, 'invalid_request_error', `${STATUS_CODES[status] ?? 'Invalid request'}.`, { code: 'invalid_request', cause: err });
  }
  return new InternalError(undefined, { cause: err });
}

/**
 * Writes the envelope. A 5xx also names the request id, so a client can quote
 * it to the operator, whose log line for that id names the provider.
 */
export function sendError(reply: FastifyReply, error: GatewayError): FastifyReply {
  const message = error.status >= 500 ? `${error.message} (request id: ${reply.request.id})` : error.message;
  const body: ErrorEnvelope = { error: { message, type: error.type, param: error.param, code: error.code } };
  // A content handler may have set range headers before it failed; they describe bytes never sent.
  reply.removeHeader('content-range').removeHeader('accept-ranges').removeHeader('content-length');
  return reply
    .code(error.status)
    .header('x-request-id', reply.request.id)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send(body);
}

/** A bug logs its stack; other 5xx log what the client was told and the provider it was not. 4xx are in the request line. */
function logError(request: FastifyRequest, err: unknown, error: GatewayError): void {
  if (error instanceof InternalError) {
    request.log.error({ err }, 'unhandled error');
  } else if (error.status >= 500) {
    const { message, code, status, provider } = error;
    request.log.warn({ err: { message, code, status }, provider }, 'request failed');
  }
}

/**
 * The one place an error becomes OpenAI's envelope. Registered with
 * fastify-plugin so it reaches every route, including unknown ones, and used
 * by the `frameworkErrors` hook for errors raised before routing.
 */
export const errorHandlerPlugin = fp<ErrorHandlerOptions>(
  async (app: FastifyInstance, opts) => {
    const routes = createRouteTable();
    app.addHook('onRoute', (route) => routes.add(route.method, route.url));

    app.setErrorHandler(async (err, request, reply) => {
      const error = toGatewayError(err, opts.jsonLimit);
      logError(request, err, error);
      // Fastify asks for `connection: close` after a body error; a fully read body does not need it.
      const drained = await drainRequest(request.raw, opts.drain);
      if (drained) reply.removeHeader('connection');
      else reply.header('connection', 'close');
      return sendError(reply, error);
    });

    app.setNotFoundHandler((request, reply) => {
      const allowed = routes.allowed(request.url.split('?')[0]!);
      if (allowed.length > 0) {
        const allow = allowed.join(', ');
        return sendError(
          reply,
          new GatewayError(405, 'invalid_request_error', `Method ${request.method} is not allowed for ${pathOf(request.url)}; use ${allow}.`, {
            code: 'method_not_allowed',
            headers: { allow },
          }),
        );
      }
      return sendError(reply, new NotFoundError(`Unknown request URL: ${request.method} ${pathOf(request.url)}.`, { code: 'unknown_url' }));
    });
  },
  { name: 'reelay-error-handler' },
);
