import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { invalidKey, type Authenticator } from '../../keys/authenticator.js';
import type { Principal } from '../../keys/principal.js';
import { AuthenticationError } from '../../errors.js';
import { noteFacts } from '../request-facts.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The gateway key's principal; set on every /v1 request that passed auth. */
    principal: Principal;
  }
}

/** RFC 6750 bearer syntax, ASCII only: a trailing U+00A0 (a latin1 0xA0 byte) is not whitespace to strip. */
const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

/** The bearer token of a request; a missing or malformed header is a 401 that says which. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    throw new AuthenticationError(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      { code: 'missing_api_key' },
    );
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) throw invalidKey();
  return token;
}

/** Bearer-key authentication for every route registered in the same scope. */
export const authPlugin = fp<{ keys: Authenticator }>(
  async (app: FastifyInstance, opts) => {
    app.decorateRequest('principal', null as unknown as Principal);
    app.addHook('onRequest', async (request) => {
      request.principal = await opts.keys.authenticate(bearerToken(request));
      // The key's public id and name for the request line; the secret never leaves the authenticator.
      noteFacts(request, { keyId: request.principal.id, keyName: request.principal.name });
    });
  },
  { name: 'reelay-auth' },
);
