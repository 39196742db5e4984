import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, body as the raw text the signature covers. */
export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How a receiver answers one request. `delayMs` holds the answer back (a slow receiver). */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  url(path: string): string;
  /** What arrived, in order; for one path when given. */
  received(path?: string): ReceivedHook[];
  /** Answers for `path`, one per request in order, the last repeating; 200 until told otherwise. */
  answer(path: string, answers: readonly Answer[]): void;
  /** Resolves once `count` requests have arrived for `path` (already or later). */
  arrived(path: string, count: number): Promise<ReceivedHook[]>;
  close(): Promise<void>;
}

/** A real webhook receiver on 127.0.0.1: records every request and answers as scripted. */
export async function startReceiver(): Promise<Receiver> {
  const hooks: ReceivedHook[] = [];
  const scripts = new Map<string, Answer[]>();
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      hooks.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const n = counts.get(path) ?? 0;
      counts.set(path, n + 1);
      const script = scripts.get(path) ?? [{ status: 200 }];
      const answer = script[Math.min(n, script.length - 1)]!;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end('ok');
      };
      if (answer.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, answer.delayMs);
        timers.add(timer);
      } else send();
      for (const wake of waiters) wake();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const received = (path?: string) => hooks.filter((h) => path === undefined || h.path === path);

  return {
    origin,
    url: (path) => `${origin}${path}`,
    received,
    answer(path, answers) {
      scripts.set(path, [...answers]);
    },
    arrived(path, count) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${path}: ${received(path).length} of ${count} webhooks arrived`));
        }, 20_000);
        function check(): void {
          if (received(path).length < count) return;
          clearTimeout(deadline);
          waiters.delete(check);
          resolve(received(path));
        }
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
