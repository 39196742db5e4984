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

/** The facts an operator needs to find a job upstream by hand (logged under `reconcile`). */
export const reconcileFacts = (record: TaskRecord) => ({
  videoId: record.id,
  provider: record.provider,
  upstreamId: record.upstreamId,
  owner: record.owner,
  credential: record.credential,
});
