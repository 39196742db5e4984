import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../../errors.js';
import { VideoContentQuerySchema, VideoListQuerySchema } from '../../openai/videos.js';
import { remainingHeaders, type Budgets } from '../../budgets/budgets.js';
import type { VideoReply, VideoService } from '../../videos/service.js';
import type { Config } from '../../config/schema.js';
import { rateLimitPlugin, type RateLimitOptions } from '../plugins/rate-limit.js';
import { noteFacts } from '../request-facts.js';
import { keyInfoRoutes } from './key-info.js';
import { modelRoutes } from './models.js';
import { videoRouteDocs } from './videos-docs.js';
import { readCreateRequest, readRemixRequest, validationError } from '../request-body.js';

export interface VideoRoutesOptions {
  videos: VideoService;
  /** limits.upload_bytes: the multipart body cap. */
  uploadBytes: number;
  /** For GET /v1/reelay/key, counted as a read. */
  budgets: Budgets;
  /** The config's model aliases, for GET /v1/models (counted as reads). */
  models: Config['models'];
  /** Where rate limits count (Redis shared by all instances, or in process). */
  rateLimit: Omit<RateLimitOptions, 'bucket'>;
}

type IdParams = { Params: { id: string } };

/** OpenAI's pacing hint for pollers (the Python SDK honours it); absent once the video is terminal. */
function send(request: FastifyRequest, reply: FastifyReply, answer: VideoReply) {
  noteFacts(request, { videoId: answer.video.id, model: answer.video.model });
  if (answer.pollAfterMs !== undefined) reply.header('openai-poll-after-ms', String(Math.round(answer.pollAfterMs)));
  // A create's own reservation says exactly what is left; other answers get it from budgetHeadersPlugin.
  if (answer.remaining) reply.headers(remainingHeaders(answer.remaining));
  return answer.video;
}

/**
 * The OpenAI `/v1/videos` surface. Handlers decode, call the service, and
 * nothing else. Routes sit in two scopes, one per rate-limit bucket.
 */
export async function videoRoutes(app: FastifyInstance, opts: VideoRoutesOptions): Promise<void> {
  const { videos, uploadBytes } = opts;
  const docs = videoRouteDocs();

  await app.register(async (creates) => {
    await creates.register(rateLimitPlugin, { ...opts.rateLimit, bucket: 'create' });

    creates.post('/videos', docs.create, async (request, reply) => {
      const body = await readCreateRequest(request, uploadBytes);
      // Before the service: a create refused for its model still names it in the request line.
      noteFacts(request, { model: body.model });
      return send(request, reply, await videos.create(request.principal, body, request.log));
    });

    creates.post<IdParams>('/videos/:id/remix', docs.remix, async (request, reply) => {
      // The source video; send() replaces it with the new video's id once there is one.
      noteFacts(request, { videoId: request.params.id });
      const { prompt } = await readRemixRequest(request, uploadBytes);
      return send(request, reply, await videos.remix(request.principal, request.params.id, prompt, request.log));
    });
  });

  await app.register(async (reads) => {
    await reads.register(rateLimitPlugin, { ...opts.rateLimit, bucket: 'poll' });
    await reads.register(keyInfoRoutes, { budgets: opts.budgets });
    await reads.register(modelRoutes, { models: opts.models });

    reads.get('/videos', docs.list, async (request) => {
      const query = VideoListQuerySchema.safeParse(request.query);
      if (!query.success) throw validationError(query.error, request.query);
      return videos.list(request.principal, query.data);
    });

    reads.get<IdParams>('/videos/:id', docs.retrieve, async (request, reply) => {
      noteFacts(request, { videoId: request.params.id });
      return send(request, reply, await videos.retrieve(request.principal, request.params.id, request.log));
    });

    reads.get<IdParams>('/videos/:id/content', docs.content, async (request, reply) => {
      noteFacts(request, { videoId: request.params.id });
      const query = VideoContentQuerySchema.safeParse(request.query);
      if (!query.success) throw validationError(query.error, request.query);
      const conditions = { range: request.headers.range, ifNoneMatch: request.headers['if-none-match'] };
      const content = await videos.content(request.principal, request.params.id, query.data.variant, conditions, request.log);
      reply.code(content.status).header('accept-ranges', 'bytes');
      // Validators exist only for files Reelay stores itself (src/storage).
      if (content.etag !== undefined) reply.header('etag', content.etag).header('last-modified', content.lastModified);
      if (content.status === 304) return reply.send();
      reply.header('content-type', content.contentType);
      if (content.contentLength !== undefined) reply.header('content-length', content.contentLength);
      if (content.contentRange !== undefined) reply.header('content-range', content.contentRange);
      return reply.send(content.body);
    });
  });

  app.delete<IdParams>('/videos/:id', docs.delete, async (request) => {
    noteFacts(request, { videoId: request.params.id });
    return videos.delete(request.principal, request.params.id, request.log);
  });

  // OpenAI verbs no configured provider offers: a clear envelope, never a bare 404.
  const unsupported = (what: string) => async () => {
    throw new InvalidRequestError(`${what} are not supported by the providers configured on this Reelay gateway.`, {
      code: 'unsupported_operation',
    });
  };
  app.post('/videos/edits', docs.unsupported('editVideo', 'Edit a video'), unsupported('Video edits'));
  app.post('/videos/extensions', docs.unsupported('extendVideo', 'Extend a video'), unsupported('Video extensions'));
  app.post('/videos/characters', docs.unsupported('createVideoCharacter', 'Create a video character'), unsupported('Video characters'));
  app.get('/videos/characters/:id', docs.unsupported('retrieveVideoCharacter', 'Retrieve a video character'), unsupported('Video characters'));
}
