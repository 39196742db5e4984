import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from './plugin.js';
import { parseInput } from './request.js';
import { AuditListQuerySchema, type AuditList } from './schemas.js';

/** `/admin/v1/audit`: every admin action, newest first; `after` pages on to older entries. */
export async function auditRoutes(app: FastifyInstance, { store }: AdminDeps): Promise<void> {
  app.get('/audit', async (request): Promise<AuditList> => {
    const query = parseInput(AuditListQuerySchema, request.query);
    const page = await store.listAudit(query);
    return { object: 'list', data: page.data, has_more: page.hasMore };
  });
}
