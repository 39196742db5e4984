import type { UpstreamJobRef } from '../providers/types.js';
import type { TaskRecord } from '../stores/task-store.js';

/** What an adapter gets to find a job again: the record's pinned facts. */
export const refOf = (record: TaskRecord): UpstreamJobRef => ({
  upstreamId: record.upstreamId,
  credential: record.credential,
  createdAt: record.createdAt,
  seconds: record.seconds,
  size: record.size,
  last: { ...record.state },
});
