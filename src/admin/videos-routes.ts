import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { configKeyId } from '../keys/ids.js';
import { VideoSchema, VideoStatusSchema } from '../openai/videos.js';
import type { TaskRecord } from '../stores/task-store.js';
import { toVideo } from '../videos/state.js';
import { isVideoId } from '../videos/video-id.js';
import type { AdminDeps } from './plugin.js';
import { documented } from '../openapi/route-docs.js';
import { parseInput } from './request.js';
import { cursorListSchema, LimitSchema } from './schemas.js';

/** At most this many records are read to fill one status-filtered page; the cursor carries on from there. */
const SCAN_LIMIT = 1000;

export const AdminVideosQuerySchema = z
  .object({
    /** One video by id, whoever owns it. */
    id: z.string().min(1).optional(),
    /** A key id: that key's videos. */
    key: z.string().min(1).optional(),
    status: VideoStatusSchema.optional(),
    after: z.string().min(1).optional(),
    limit: LimitSchema,
    order: z.enum(['asc', 'desc'], { error: "Invalid 'order': expected 'asc' or 'desc'." }).default('desc'),
  })
  .refine((q) => q.id !== undefined || q.key !== undefined, { message: "Give 'key' (a key id) or 'id' (a video id).", path: ['key'] });

/** The public Video plus what only an operator may see: whose it is and where it lives upstream. */
export const AdminVideoSchema = VideoSchema.extend({
  key_id: z.string(),
  provider: z.string(),
  upstream_id: z.string(),
  /** USD estimated at admission (pricing × reserved seconds); null for jobs from before budgets. */
  estimated_usd: z.number().nullable(),
});
export const AdminVideoListSchema = cursorListSchema(AdminVideoSchema);
export type AdminVideoList = z.infer<typeof AdminVideoListSchema>;

/**
 * `/admin/v1/videos`: any key's jobs, by key (and status, and time through the
 * id cursor) or by video id, with the provider and upstream id shown. This is
 * the only place those are ever visible.
 */
export async function adminVideosRoutes(app: FastifyInstance, { tasks, config }: AdminDeps): Promise<void> {
  // Config keys file their videos under their name; every other key under its id.
  const ownerOfConfigKey = new Map(config.keys.map((k) => [configKeyId(k.name), k.name]));
  const keyIdOf = new Map(config.keys.map((k) => [k.name, configKeyId(k.name)]));
  const view = (r: TaskRecord) => ({
    ...toVideo(r),
    key_id: keyIdOf.get(r.owner) ?? r.owner,
    provider: r.provider,
    upstream_id: r.upstreamId,
    estimated_usd: r.estimatedUsd ?? null,
  });
  const page = (data: TaskRecord[], hasMore: boolean): AdminVideoList => {
    const views = data.map(view);
    return { object: 'list', data: views, first_id: views[0]?.id ?? null, last_id: views.at(-1)?.id ?? null, has_more: hasMore };
  };

  const docs = documented({
    operationId: 'adminListVideos',
    summary: "Any key's videos, with provider and upstream id",
    tags: ['admin'],
    querystring: AdminVideosQuerySchema,
    response: { 200: AdminVideoListSchema.describe('A page of videos.') },
    errors: [400],
  });
  app.get('/videos', docs, async (request): Promise<AdminVideoList> => {
    const q = parseInput(AdminVideosQuerySchema, request.query);
    if (q.id !== undefined) {
      const record = isVideoId(q.id) ? await tasks.get(q.id) : undefined;
      const keyId = record ? (keyIdOf.get(record.owner) ?? record.owner) : undefined;
      const match = record && (q.key === undefined || q.key === keyId) && (q.status === undefined || record.state.status === q.status);
      return page(match ? [record] : [], false);
    }
    if (q.after !== undefined && !isVideoId(q.after)) throw new InvalidRequestError("Invalid 'after': expected a video id.", { param: 'after' });
    const owner = ownerOfConfigKey.get(q.key!) ?? q.key!;
    const found: TaskRecord[] = [];
    let after = q.after;
    let scanned = 0;
    for (;;) {
      const batch = await tasks.list(owner, { after, limit: 100, order: q.order });
      for (const r of batch.data) {
        scanned++;
        if (q.status === undefined || r.state.status === q.status) found.push(r);
        if (found.length > q.limit) return page(found.slice(0, q.limit), true);
      }
      after = batch.data.at(-1)?.id;
      if (!batch.hasMore || after === undefined) return page(found, false);
      if (scanned >= SCAN_LIMIT) {
        // A short page whose cursor is the last record read, so paging on resumes the scan.
        const result = page(found, true);
        return { ...result, last_id: after };
      }
    }
  });
}
