import Fastify from 'fastify';

/**
 * The floors Reelay is compared with, in one process:
 *   GET /hello            Fastify's hello world, the CPU anchor of the issue
 *   GET /v1/videos/:id    a bare Fastify route answering the same Video JSON from memory
 * No logger, no hooks, no auth: the least a Fastify server can do.
 *
 * Env: VIDEO_JSON (the body /v1/videos/:id answers). Prints "listening on http://127.0.0.1:PORT".
 */

const video = JSON.parse(process.env.VIDEO_JSON ?? '{"id":"video_x","object":"video"}') as Record<string, unknown>;
const app = Fastify({ logger: false });

app.get('/hello', async () => ({ hello: 'world' }));
app.get<{ Params: { id: string } }>('/v1/videos/:id', async () => video);

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${address}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
