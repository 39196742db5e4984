import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from './plugin.js';
import { documented } from '../openapi/route-docs.js';
import { parseInput } from './request.js';
import { AuditListQuerySchema, AuditListSchema, type AuditList } from './schemas.js';

/** `/admin/v1/audit`: every admin action, newest first; `after` pages on to older entries. */
export async function auditRoutes(app: FastifyInstance, { store }: AdminDeps): Promise<void> {
  const docs = documented({
    operationId: 'adminListAudit',
    summary: 'List admin actions, newest first',
    tags: ['admin'],
    querystring: AuditListQuerySchema,
    response: { 200: AuditListSchema.describe('A page of audit entries.') },
    errors: [400],
  });
  app.get('/audit', docs, async (request): Promise<AuditList> => {
    const query = parseInput(AuditListQuerySchema, request.query);
    const page = await store.listAudit(query);
    return { object: 'list', data: page.data, has_more: page.hasMore };
  });
}
