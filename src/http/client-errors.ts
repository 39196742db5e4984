import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ErrorEnvelope } from '../openai/videos.js';

interface ClientError {
  status: number;
  code: string;
  message: string;
}

/**
 * Errors Node's HTTP parser raises before a request exists (no route, no
 * reply): slow clients, oversized headers, malformed HTTP. Fastify's default
 * handler answers them in its own shape; these answer in OpenAI's envelope.
 */
function classify(code: string | undefined): ClientError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'request_timeout', message: 'The request was not received in time.' };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, code: 'request_header_fields_too_large', message: 'The request headers are too large; the limit is 16 KB in all.' };
  }
  return { status: 400, code: 'invalid_http', message: 'The request is not valid HTTP/1.1.' };
}

export function clientErrorResponse(code: string | undefined): string {
  const error = classify(code);
  const envelope: ErrorEnvelope = { error: { message: error.message, type: 'invalid_request_error', param: null, code: error.code } };
  const body = JSON.stringify(envelope);
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Fastify's `clientErrorHandler`: bound to the instance, so `this.log` is the app's logger. */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.info({ clientError: err.code ?? err.message, remoteAddress: socket.remoteAddress }, 'client error');
  // A response already on its way on this socket cannot be followed by another.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (!socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err.code), () => socket.destroy());
}
