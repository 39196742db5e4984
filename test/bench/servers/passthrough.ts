import Fastify from 'fastify';
import { Agent, request } from 'undici';

/**
 * The Node floor of a gateway: Fastify + undici.request over a keep-alive
 * pool, nothing else. No parsing, no validation, no storage, no logging:
 * what any Node gateway pays at least.
 *   POST /v1/videos               the multipart body forwarded as bytes; the upstream's JSON back
 *   GET  /v1/videos/:id/content   the upstream's bytes streamed back
 *
 * Env: UPSTREAM (origin of the fake upstream). Prints "listening on http://127.0.0.1:PORT".
 */

const upstream = process.env.UPSTREAM ?? 'http://127.0.0.1:1';
const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
const app = Fastify({ logger: false, bodyLimit: 21 * 1024 * 1024 });

app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.post('/v1/videos', async (req, reply) => {
  const res = await request(`${upstream}/v1/videos`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', authorization: 'Bearer sk-upstream-bench' },
    body: req.body as Buffer,
  });
  const text = await res.body.text();
  return reply.code(res.statusCode).type('application/json').send(text);
});

app.get<{ Params: { id: string } }>('/v1/videos/:id/content', async (req, reply) => {
  const res = await request(`${upstream}/v1/videos/${encodeURIComponent(req.params.id)}/content`, {
    method: 'GET',
    dispatcher,
    headers: { authorization: 'Bearer sk-upstream-bench' },
  });
  reply.code(res.statusCode).header('content-type', res.headers['content-type'] ?? 'video/mp4');
  if (res.headers['content-length'] !== undefined) reply.header('content-length', res.headers['content-length']);
  return reply.send(res.body);
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${address}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
