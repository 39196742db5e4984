import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The HTTP plumbing the upstream fakes share: a loopback server, request bodies, bearer keys. */

/** A scripted or computed answer: status, JSON (or text) body, extra headers. */
export interface FakeResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The key of `Authorization: Bearer <key>`, or undefined. */
export function bearerKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

/** The body parsed as JSON, or undefined when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export interface FakeServer {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  close(): Promise<void>;
}

/** `handle`'s failure as a plain-text 500. */
function textError(res: ServerResponse, err: unknown): void {
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
  res.end(String(err));
}

/** A node:http server on 127.0.0.1, a free port; a request whose `handle` throws is answered by `onError`. */
export async function startFakeServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
  onError: (res: ServerResponse, err: unknown) => void = textError,
): Promise<FakeServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => onError(res, err));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The knobs a test turns, as the fake's own methods. */
export interface FakeKnobs {
  /** The next `times` requests of `verb` get `response` instead of the normal behaviour. */
  failNext(verb: string, response: FakeResponse, times?: number): void;
  /** From now on this key is refused. */
  revokeKey(key: string): void;
}

export interface FakeControls {
  /** The next scripted reply for `verb`, if any (taken off the queue). */
  nextOverride(verb: string): FakeResponse | undefined;
  /** Whether `key` is one of the fake's keys and not revoked. */
  accepts(key: string | undefined): key is string;
  knobs: FakeKnobs;
}

/** Valid and revoked keys, and scripted replies per verb (default keys: upstream-key-1, upstream-key-2). */
export function fakeControls(keys: readonly string[] | undefined, verbs: readonly string[]): FakeControls {
  const valid = new Set(keys ?? ['upstream-key-1', 'upstream-key-2']);
  const revoked = new Set<string>();
  const overrides = new Map<string, FakeResponse[]>(verbs.map((v) => [v, []]));
  return {
    nextOverride: (verb) => overrides.get(verb)?.shift(),
    accepts: (key): key is string => key !== undefined && valid.has(key) && !revoked.has(key),
    knobs: {
      failNext(verb, response, times = 1) {
        for (let i = 0; i < times; i++) overrides.get(verb)!.push(response);
      },
      revokeKey(key) {
        revoked.add(key);
      },
    },
  };
}
