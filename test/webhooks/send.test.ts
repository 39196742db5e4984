import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { createWebhookAgent, type ResolveAll } from '../../src/webhooks/guarded-agent.js';
import { sendWebhook } from '../../src/webhooks/send.js';
import { signWebhook } from '../../src/webhooks/signing.js';
import { mintWebhookSecret } from '../../src/webhooks/secret.js';
import { findFreePort } from '../helpers/redis-server.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * One attempt through the guarded agent, against real sockets on 127.0.0.1:
 * what counts as delivered, what is retried, what is never sent.
 */

const TIMEOUT_MS = 300;
const body = JSON.stringify({ id: 'evt_0000000000000000000000000000', object: 'event', created_at: 1, type: 'video.completed', data: { id: 'video_x' } });
const signature = signWebhook('evt_0000000000000000000000000000', Date.now(), body, [mintWebhookSecret()]);

let receiver: Receiver;
let open: Agent;
const agents: Agent[] = [];
const guarded = (resolveAll?: ResolveAll): Agent => {
  const agent = createWebhookAgent({ allowPrivate: false, timeoutMs: TIMEOUT_MS, ...(resolveAll ? { resolveAll } : {}) });
  agents.push(agent);
  return agent;
};

beforeAll(async () => {
  receiver = await startReceiver();
  open = createWebhookAgent({ allowPrivate: true, timeoutMs: TIMEOUT_MS });
  agents.push(open);
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await receiver.close();
});

const send = (url: string, dispatcher: Agent = open) => sendWebhook(url, body, signature, { dispatcher, timeoutMs: TIMEOUT_MS });

describe('one webhook attempt', () => {
  it('POSTs the body as JSON with the three signature headers; any 2xx is delivered', async () => {
    receiver.answer('/ok', [{ status: 200 }, { status: 204 }, { status: 299 }]);
    for (const status of [200, 204, 299]) expect(await send(receiver.url('/ok'))).toEqual({ kind: 'delivered', statusCode: status });
    const [hook] = receiver.received('/ok');
    expect(hook!.body).toBe(body);
    expect(hook!.headers).toMatchObject({ 'content-type': 'application/json', ...signature });
  });

  it('answers 410 as gone, and any other status as a failure worth retrying', async () => {
    receiver.answer('/gone', [{ status: 410 }]);
    receiver.answer('/broken', [{ status: 500 }]);
    receiver.answer('/unauthorized', [{ status: 401 }]);
    expect(await send(receiver.url('/gone'))).toEqual({ kind: 'gone', statusCode: 410 });
    expect(await send(receiver.url('/broken'))).toEqual({ kind: 'failed', statusCode: 500, error: 'HTTP 500' });
    expect(await send(receiver.url('/unauthorized'))).toEqual({ kind: 'failed', statusCode: 401, error: 'HTTP 401' });
  });

  it('never follows a redirect: a 3xx is a failure, and its Location gets nothing', async () => {
    for (const status of [301, 302, 307, 308]) {
      receiver.answer(`/moved-${status}`, [{ status, headers: { location: receiver.url('/elsewhere') } }]);
      expect(await send(receiver.url(`/moved-${status}`))).toEqual({ kind: 'failed', statusCode: status, error: `redirect (${status}) not followed` });
    }
    expect(receiver.received('/elsewhere')).toEqual([]);
  });

  it('gives up on a receiver that does not answer in time, and on one that is not there', async () => {
    receiver.answer('/slow', [{ status: 200, delayMs: 5_000 }]);
    const started = performance.now();
    expect(await send(receiver.url('/slow'))).toEqual({ kind: 'failed', statusCode: null, error: `timed out after ${TIMEOUT_MS} ms` });
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
    const closed = `http://127.0.0.1:${await findFreePort()}/hook`;
    expect(await send(closed)).toEqual({ kind: 'failed', statusCode: null, error: 'connection failed (ECONNREFUSED)' });
  });

  it('sends the credentials of a URL as Basic auth', async () => {
    const url = new URL(receiver.url('/basic'));
    url.username = 'hook';
    url.password = 'p@ss';
    expect((await send(url.href)).kind).toBe('delivered');
    expect(receiver.received('/basic')[0]!.headers.authorization).toBe(`Basic ${Buffer.from('hook:p@ss').toString('base64')}`);
  });

  it('refuses what is not http(s) without sending anything', async () => {
    expect(await send('ftp://127.0.0.1/x')).toEqual({ kind: 'refused', error: 'only http and https targets are allowed' });
    expect(await send('not a url')).toEqual({ kind: 'refused', error: 'not a valid URL' });
  });
});

describe('the SSRF guard', () => {
  const port = () => new URL(receiver.origin).port;

  it('refuses loopback literals in every spelling, before connecting', async () => {
    const agent = guarded();
    for (const host of ['127.0.0.1', '127.1.2.3', '0x7f.1', '2130706433', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0.0.0.0']) {
      const result = await send(`http://${host}:${port()}/literal`, agent);
      expect(result, host).toMatchObject({ kind: 'refused' });
    }
    expect(receiver.received('/literal')).toEqual([]);
  });

  it('judges a hostname by the addresses it resolves to: localhost is loopback', async () => {
    const result = await send(`http://localhost:${port()}/named`, guarded());
    expect(result).toMatchObject({ kind: 'refused' });
    expect((result as { error: string }).error).toMatch(/^(127\.0\.0\.1|::1) is a loopback address/);
    expect(receiver.received('/named')).toEqual([]);
  });

  it('resolves at connect time, so a name that rebinds to a private address is refused then', async () => {
    const answers = [[{ address: '10.1.2.3', family: 4 }], [{ address: '93.184.216.34', family: 4 }, { address: 'fd00::1', family: 6 }]];
    const asked: string[] = [];
    const rebinding: ResolveAll = async (hostname) => {
      asked.push(hostname);
      return answers[asked.length - 1] ?? [];
    };
    const agent = guarded(rebinding);
    expect(await send('http://hooks.example.test/x', agent)).toEqual({ kind: 'refused', error: '10.1.2.3 is a private address, and webhooks.allow_private is false' });
    // One private address among public ones refuses the lot: the socket might pick any of them.
    expect(await send('http://hooks.example.test/x', agent)).toEqual({
      kind: 'refused',
      error: 'fd00::1 is a unique local (ULA) address, and webhooks.allow_private is false',
    });
    expect(asked).toEqual(['hooks.example.test', 'hooks.example.test']);
  });

  it('lets private targets through when allow_private is on', async () => {
    expect(await send(`http://localhost:${port()}/allowed`, open)).toMatchObject({ kind: 'delivered' });
  });
});
