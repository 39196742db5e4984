import type { FastifyRequest } from 'fastify';

/**
 * What a request learns about itself on the way through, for its one
 * `request completed` line: the gateway key (set by the auth plugin), and the
 * model alias and video id (set by the video routes). Identities only, never a
 * secret: a key's id and name are what admins and the audit log name it by.
 */
export interface RequestFacts {
  keyId?: string;
  keyName?: string;
  /** The model alias (as the client asked for it on a create; the video's own once known). */
  model?: string;
  videoId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Decorated in app.ts and reset for every request; null only before the onRequest hooks ran (framework errors). */
    logFacts: RequestFacts | null;
  }
}

/** Longest value kept from client input (a requested model, a path id): a log line stays a line. */
const MAX_FACT_CHARS = 128;

/** Adds facts to the request's line; a value a client chose is cut short, so hostile input cannot bloat the log. */
export function noteFacts(request: FastifyRequest, facts: RequestFacts): void {
  if (!request.logFacts) return;
  for (const [name, value] of Object.entries(facts) as Array<[keyof RequestFacts, string | undefined]>) {
    if (typeof value === 'string') request.logFacts[name] = value.length > MAX_FACT_CHARS ? `${value.slice(0, MAX_FACT_CHARS)}…` : value;
  }
}
