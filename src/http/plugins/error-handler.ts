import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
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

const TOO_LARGE = new Set([
  'FST_ERR_CTP_BODY_TOO_LARGE',
  'FST_REQ_FILE_TOO_LARGE',
  'FST_PARTS_LIMIT',
  'FST_FILES_LIMIT',
  'FST_FIELDS_LIMIT',
]);

/** Translates what Fastify and its plugins throw into our hierarchy. */
export function toGatewayError(err: unknown, uploadLimit: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  const code = fe.code ?? '';
  if (TOO_LARGE.has(code) || fe.statusCode === 413) {
    return new PayloadTooLargeError(`The request is too large; the limit is ${uploadLimit} bytes.`);
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || fe.statusCode === 415) {
    return new UnsupportedMediaTypeError('Unsupported Content-Type; send application/json or multipart/form-data.');
  }
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    return new InvalidRequestError('We could not parse the JSON body of your request.', { code: 'invalid_json' });
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new InvalidRequestError('The JSON body of your request is empty.', { code: 'invalid_json' });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new GatewayError(fe.statusCode, 'invalid_request_error', fe.message ?? 'Invalid request.', { code: null });
  }
  return new InternalError(undefined, { cause: err });
}

export function sendError(reply: FastifyReply, error: GatewayError): FastifyReply {
  const body: ErrorEnvelope = {
    error: { message: error.message, type: error.type, param: error.param, code: error.code },
  };
  // A content handler may have set range headers before it failed; they describe bytes never sent.
  reply.removeHeader('content-range').removeHeader('accept-ranges').removeHeader('content-length');
  return reply.code(error.status).headers(error.headers).type('application/json; charset=utf-8').send(body);
}

/**
 * The one place an error becomes OpenAI's envelope. Registered with
 * fastify-plugin so it reaches every route, including unknown ones.
 */
export const errorHandlerPlugin = fp<{ uploadLimit: number }>(
  async (app: FastifyInstance, opts) => {
    app.setErrorHandler((err, request, reply) => {
      const error = toGatewayError(err, opts.uploadLimit);
      if (error instanceof InternalError) request.log.error({ err }, 'unhandled error');
      else if (error.status >= 500) request.log.warn({ err: { message: error.message, code: error.code, status: error.status } }, 'request failed');
      return sendError(reply, error);
    });
    app.setNotFoundHandler((request, reply) =>
      sendError(reply, new NotFoundError(`Unknown request URL: ${request.method} ${request.url.split('?')[0]}.`, { code: 'unknown_url' })),
    );
  },
  { name: 'reelay-error-handler' },
);
