import { createReadStream, statSync } from 'node:fs';
import Fastify from 'fastify';

/**
 * The floor of serving a stored file: a bare Fastify route answering
 * `fs.createReadStream` of FILE with its length. No logger, no hooks, no
 * auth, no validators: the least a Node server can do to serve the bytes
 * custody keeps on disk.
 *   GET /file    FILE, streamed
 *
 * Env: FILE (path). Prints "listening on http://127.0.0.1:PORT".
 */

const file = process.env.FILE ?? '';
const size = statSync(file).size;
const app = Fastify({ logger: false });

app.get('/file', async (_req, reply) => reply.header('content-type', 'video/mp4').header('content-length', size).send(createReadStream(file)));

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${address}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
