import { setTimeout as delay } from 'node:timers/promises';
import { ServiceUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TaskRecord } from '../stores/task-store.js';
import { reconcileFacts } from './job-ref.js';

const BACKOFF_MS = [50, 200, 800, 2000];

/**
 * Records a job the upstream has already accepted. `write` stores the record
 * and everything keyed on it (schedule, concurrency slot); every part of it is
 * idempotent, so it is retried whole. Losing the record would orphan a paid
 * job: while the store stays down the write is retried with backoff, then the
 * upstream id is logged at error level for reconciliation and the client gets
 * a 503 it must not blindly retry.
 */
export async function persistAccepted(record: TaskRecord, write: () => Promise<void>, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await write();
      return;
    } catch (err) {
      if (attempt >= BACKOFF_MS.length) {
        log.error(
          {
            err,
            reconcile: reconcileFacts(record),
          },
          'upstream accepted a job but its record could not be stored',
        );
        throw new ServiceUnavailableError(
          'The video job was accepted upstream but Reelay could not record it; it has been logged for reconciliation. Do not retry blindly.',
          { code: 'store_unavailable', headers: { 'x-should-retry': 'false' } },
        );
      }
      log.warn({ err: { message: (err as Error).message }, attempt, videoId: record.id }, 'store write failed; retrying');
      await delay(BACKOFF_MS[attempt]);
    }
  }
}
