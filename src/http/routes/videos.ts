import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from '../../errors.js';
import { VideoContentQuerySchema, VideoListQuerySchema } from '../../openai/videos.js';
import type { VideoService } from '../../videos/service.js';
import { readCreateRequest, readRemixRequest, validationError } from '../request-body.js';

export interface VideoRoutesOptions {
  videos: VideoService;
  /** Per-route rate-limit settings for create and remix (undefined: no limit). */
  createRateLimit?: object | undefined;
}

type IdParams = { Params: { id: string } };

/** The OpenAI `/v1/videos` surface. Handlers decode, call the service, and nothing else. */
export async function videoRoutes(app: FastifyInstance, opts: VideoRoutesOptions): Promise<void> {
  const { videos } = opts;
  const createConfig = opts.createRateLimit ? { config: { rateLimit: opts.createRateLimit } } : {};

  app.post('/videos', createConfig, async (request) =>
    videos.create(request.principal, await readCreateRequest(request), request.log),
  );

  app.get('/videos', async (request) => {
    const query = VideoListQuerySchema.safeParse(request.query);
    if (!query.success) throw validationError(query.error, request.query);
    return videos.list(request.principal, query.data);
  });

  app.get<IdParams>('/videos/:id', async (request) => videos.retrieve(request.principal, request.params.id, request.log));

  app.delete<IdParams>('/videos/:id', async (request) => videos.delete(request.principal, request.params.id, request.log));

  app.get<IdParams>('/videos/:id/content', async (request, reply) => {
    const query = VideoContentQuerySchema.safeParse(request.query);
    if (!query.success) throw validationError(query.error, request.query);
    const content = await videos.content(request.principal, request.params.id, query.data.variant, request.headers.range, request.log);
    reply.code(content.status).header('content-type', content.contentType).header('accept-ranges', 'bytes');
    if (content.contentLength !== undefined) reply.header('content-length', content.contentLength);
    if (content.contentRange !== undefined) reply.header('content-range', content.contentRange);
    return reply.send(content.body);
  });

  app.post<IdParams>('/videos/:id/remix', createConfig, async (request) => {
    const { prompt } = await readRemixRequest(request);
    return videos.remix(request.principal, request.params.id, prompt, request.log);
  });

  // OpenAI verbs no configured provider offers: a clear envelope, never a bare 404.
  const unsupported = (what: string) => async () => {
    throw new InvalidRequestError(`${what} are not supported by the providers configured on this Reelay gateway.`, {
      code: 'unsupported_operation',
    });
  };
  app.post('/videos/edits', unsupported('Video edits'));
  app.post('/videos/extensions', unsupported('Video extensions'));
  app.post('/videos/characters', unsupported('Video characters'));
  app.get('/videos/characters/:id', unsupported('Video characters'));
}
