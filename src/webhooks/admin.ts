import type { Clock } from '../clock.js';
import type { PollConfig } from '../config/schema.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { AuditContext } from '../keys/audit.js';
import type { KeyStore } from '../keys/key-store.js';
import type { JobSchedule } from '../stores/job-schedule.js';
import type { TaskStore } from '../stores/task-store.js';
import type { Delivery, DeliveryFilter, DeliveryStore } from './delivery-store.js';
import { WEBHOOKS_HANDLER } from './handler.js';

/** Webhook deliveries as the admin API offers them. Knows nothing of HTTP. */
export interface WebhookAdmin {
  list(filter: DeliveryFilter): Promise<Delivery[]>;
  /**
   * Starts a new round for every delivery of the event (whatever its status:
   * a pending one is simply tried now) and has the job's webhooks handler run
   * again at once; records `webhook.redeliver` in the audit log.
   */
  redeliver(eventId: string, ctx: AuditContext): Promise<Delivery[]>;
}

export interface WebhookAdminDeps {
  deliveries: DeliveryStore;
  tasks: Pick<TaskStore, 'updateHandler'>;
  schedule: Pick<JobSchedule, 'claim' | 'release'>;
  audit: Pick<KeyStore, 'appendAudit'>;
  clock: Clock;
  poll: Pick<PollConfig, 'lease_ms' | 'initial_ms'>;
}

/** The answer for an event with no deliveries: unknown, never delivered to anyone, or past retention. */
export const deliveryNotFound = (eventId: string) => new NotFoundError(`No webhook deliveries for event '${eventId.slice(0, 64)}'.`, { code: 'delivery_not_found' });

export function createWebhookAdmin({ deliveries, tasks, schedule, audit, clock, poll }: WebhookAdminDeps): WebhookAdmin {
  return {
    list: (filter) => deliveries.list(filter),

    async redeliver(eventId, ctx) {
      const found = await deliveries.forEvent(eventId);
      if (found.length === 0) throw deliveryNotFound(eventId);
      const { videoId, keyId } = found[0]!;
      const now = clock.now();
      // The job's own lease, as a poller takes it: no handler run of this job can be
      // in flight while its pending handler is put back, nor finish after and undo it.
      const lease = await schedule.claim(videoId, { now, leaseMs: poll.lease_ms, minIntervalMs: 0 });
      if (lease.kind !== 'claimed') {
        throw new ConflictError('An attempt of this event is in flight right now; retry in a few seconds.', { code: 'delivery_in_progress' });
      }
      try {
        if (!(await tasks.updateHandler(videoId, WEBHOOKS_HANDLER, { attempts: 0, nextAt: now }))) {
          throw new NotFoundError('The video of this event is gone (deleted or past retention), so its webhooks cannot be redelivered.', {
            code: 'video_not_found',
          });
        }
        const requeued = await deliveries.requeue(eventId, now);
        await audit.appendAudit({
          ...ctx,
          at: Math.floor(now / 1000),
          action: 'webhook.redeliver',
          key_id: keyId,
          changes: { event_id: eventId, video_id: videoId, deliveries: requeued.length },
        });
        return requeued;
      } finally {
        // Due now: the next poller tick runs the handler. A gone video is unscheduled by that poll.
        await schedule.release(videoId, lease.token, { dueAt: now, intervalMs: poll.initial_ms });
      }
    },
  };
}
