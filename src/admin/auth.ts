import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminKeyConfig } from '../config/schema.js';
import { AuthenticationError, RateLimitError } from '../errors.js';
import { bearerToken } from '../http/plugins/auth.js';
import type { AuditContext } from '../keys/audit.js';
import { sha256 } from '../keys/ids.js';
import type { FailureLimiter } from './failure-limiter.js';

/** Who is administering: the admin key's name from config. */
export interface AdminIdentity {
  name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin key of an /admin/v1 request that passed auth. */
    admin: AdminIdentity;
  }
}

/** The audit fields an admin request supplies: actor, client address, request id. */
export const auditContext = (request: FastifyRequest): AuditContext => ({
  actor: request.admin.name,
  client_ip: request.ip,
  request_id: request.id,
});

const wrongAdminKey = () => new AuthenticationError('Incorrect admin API key provided.', { code: 'invalid_api_key' });

/**
 * Admin bearer auth for every route of the scope: the token's SHA-256 digest
 * against `admin.keys` (so a lookup leaks nothing useful through timing, as
 * for client keys). Client keys are not in that map, and admin keys are not
 * in the client's, so neither works on the other's door. Each failure counts
 * against the client address; past the limit the address gets 429.
 */
export function registerAdminAuth(app: FastifyInstance, keys: readonly AdminKeyConfig[], limiter: FailureLimiter): void {
  const names = new Map(keys.map((k) => [k.sha256 ?? sha256(k.key!).toString('hex'), k.name]));
  app.decorateRequest('admin', null as unknown as AdminIdentity);
  app.addHook('onRequest', async (request) => {
    const wait = limiter.retryAfter(request.ip);
    if (wait !== undefined) {
      throw new RateLimitError(`Too many failed admin authentications from this address. Retry after ${wait} s.`, wait, {
        code: 'too_many_auth_failures',
      });
    }
    try {
      const name = names.get(sha256(bearerToken(request)).toString('hex'));
      if (name === undefined) throw wrongAdminKey();
      request.admin = { name };
    } catch (err) {
      limiter.fail(request.ip);
      throw err;
    }
  });
}
