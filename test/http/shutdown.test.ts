import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

let reelay: RunningReelay | undefined;
afterAll(() => reelay?.close());

describe('graceful shutdown', () => {
  it('answers a request that arrives on an open connection while draining with a 503 envelope', async () => {
    reelay = await startReelay({ yaml: sandboxYaml() });
    const { port } = new URL(reelay.origin);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));

    // Node emits 'request' once the headers are in: Fastify has routed the first request by then.
    const routed = new Promise<void>((resolve) => reelay!.runtime.app.server.once('request', () => resolve()));
    // The first request is in flight (its body not yet complete) when the shutdown starts.
    const body = JSON.stringify({ prompt: 'p', video: { id: 'video_x' } });
    socket.write(
      `POST /v1/videos/edits HTTP/1.1\r\nHost: reelay\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await routed;
    const closing = reelay.close();
    await eventually(async () => (reelay!.runtime.app.server.listening ? undefined : true));

    // The rest of it, then a second request pipelined on the same connection.
    socket.write(`${body.slice(5)}GET /v1/videos HTTP/1.1\r\nHost: reelay\r\nAuthorization: Bearer ${TEST_KEY}\r\n\r\n`);
    await ended;
    await closing;

    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 400 /);
    const [head, json] = (responses[1] as string).split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(head.toLowerCase()).toContain('retry-after: 1');
    expect(JSON.parse(json)).toEqual({
      error: { message: expect.stringMatching(/^Reelay is shutting down\. Retry the request\. \(request id: req_[0-9a-f]{32}\)$/), type: 'service_unavailable', param: null, code: 'shutting_down' },
    });
  });
});
