import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidRequestError, UnsupportedMediaTypeError } from '../../errors.js';

export interface BodyParserOptions {
  /** Largest JSON body, in bytes. */
  jsonLimit: number;
}

/** No Content-Length of zero and no chunked body: there is nothing to parse. */
const hasNoBody = (request: FastifyRequest): boolean =>
  request.headers['content-length'] === '0' || (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined);

/**
 * Body parsing for the whole app: JSON and (through @fastify/multipart)
 * multipart are API bodies; any other type is a 415 unless the request has
 * no body at all. Bodiless verbs must work whatever Content-Type a client
 * sends with them: the Python SDK sends `DELETE` with `application/json` and
 * no body. JSON is decoded as strict UTF-8, so invalid bytes are a 400 rather
 * than silently becoming U+FFFD, and `__proto__` / `constructor.prototype`
 * keys are refused by Fastify's secure parser.
 */
export const bodyParsersPlugin = fp<BodyParserOptions>(
  async (app: FastifyInstance, opts) => {
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    const parseJson = app.getDefaultJsonParser('error', 'error');

    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: opts.jsonLimit }, (request, body, done) => {
      const bytes = body as Buffer;
      if (bytes.length === 0) return done(null, undefined);
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        return done(new InvalidRequestError('The JSON body of your request is not valid UTF-8.', { code: 'invalid_json' }), undefined);
      }
      void parseJson(request, text, done);
    });

    app.addContentTypeParser('*', (request, _payload, done) => {
      if (hasNoBody(request)) return done(null, undefined);
      done(new UnsupportedMediaTypeError('Unsupported Content-Type; send application/json or multipart/form-data.'), undefined);
    });
  },
  { name: 'reelay-body-parsers' },
);
