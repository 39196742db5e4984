import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { WebhooksConfig } from '../config/schema.js';
import type { VideoEvent } from '../events/event.js';
import type { EventHandler } from '../events/handler.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { TaskRecord } from '../stores/task-store.js';
import { nextRetryAt } from './backoff.js';
import type { AttemptOutcome, Delivery, DeliveryStore } from './delivery-store.js';
import { sendWebhook, type SendResult } from './send.js';
import { signWebhook } from './signing.js';
import type { WebhookTargets } from './targets.js';

/** The handler's name in every outbox, and its label in the backlog metric. */
export const WEBHOOKS_HANDLER = 'webhooks';

export interface WebhooksHandlerDeps {
  config: Pick<WebhooksConfig, 'retry_schedule_s' | 'max_attempts' | 'timeout_ms'>;
  deliveries: DeliveryStore;
  targets: WebhookTargets;
  /** The guarded agent (guarded-agent.ts). */
  dispatcher: Dispatcher;
  clock: Clock;
  metrics: Pick<Metrics, 'webhookDeliveries'>;
  random?: () => number;
}

/** A delivery's outcome as the metric counts it. */
type Outcome = 'delivered' | 'retried' | 'failed' | 'refused';

/** What became of an attempt: it was sent, or there was no secret left to sign it with. */
type AttemptResult = SendResult | { kind: 'unsigned' };

/**
 * Signed webhooks as an outbox consumer. The first run fixes the event's
 * deliveries (one per target) in the DeliveryStore; every run attempts the
 * ones due, records each outcome, and asks to run again at the earliest
 * pending attempt. The job's poll lease makes one instance run each attempt;
 * a crash before an outcome is recorded means the attempt is made again,
 * with the same webhook-id, which is what at-least-once promises.
 */
export function createWebhooksHandler(deps: WebhooksHandlerDeps): EventHandler {
  const { config, deliveries, targets, dispatcher, clock, metrics } = deps;
  const policy = { scheduleS: config.retry_schedule_s, maxAttempts: config.max_attempts, random: deps.random };

  const decide = (d: Delivery, sent: AttemptResult, now: number): [AttemptOutcome, Outcome] => {
    switch (sent.kind) {
      case 'unsigned':
        return [{ status: 'failed', nextAttemptAt: null, lastStatusCode: null, lastError: 'no secret to sign with: the key was revoked or its webhook_url cleared' }, 'failed'];
      case 'delivered':
        return [{ status: 'delivered', nextAttemptAt: null, lastStatusCode: sent.statusCode, lastError: null }, 'delivered'];
      case 'gone':
        return [{ status: 'failed', nextAttemptAt: null, lastStatusCode: sent.statusCode, lastError: 'HTTP 410: the receiver asked for no more attempts' }, 'failed'];
      case 'refused':
        return [{ status: 'refused', nextAttemptAt: null, lastStatusCode: null, lastError: `refused: ${sent.error}` }, 'refused'];
      case 'failed': {
        const next = nextRetryAt(policy, d.roundAttempts + 1, d.roundStartedAt, now);
        const outcome = { status: next === undefined ? 'failed' : 'pending', nextAttemptAt: next ?? null, lastStatusCode: sent.statusCode, lastError: sent.error } as const;
        return [outcome, next === undefined ? 'failed' : 'retried'];
      }
    }
  };

  const attempt = async (d: Delivery, event: VideoEvent, log: Logger): Promise<AttemptOutcome> => {
    const body = JSON.stringify(event);
    const secrets = await targets.secretsFor(d);
    const sent: AttemptResult =
      secrets.length === 0
        ? { kind: 'unsigned' }
        : await sendWebhook(d.url, body, signWebhook(event.id, clock.now(), body, secrets), { dispatcher, timeoutMs: config.timeout_ms });
    const [outcome, counted] = decide(d, sent, clock.now());
    metrics.webhookDeliveries.inc({ outcome: counted });
    await deliveries.record(d, outcome, clock.now());
    // The origin only: a webhook URL's path or query often carries a token of its own.
    const facts = { deliveryId: d.id, target: new URL(d.url).origin, attempt: d.attempts + 1, status: outcome.status, statusCode: outcome.lastStatusCode };
    if (counted === 'delivered') log.info(facts, 'webhook delivered');
    else log.warn({ ...facts, error: outcome.lastError }, `webhook not delivered (${counted})`);
    return outcome;
  };

  return {
    name: WEBHOOKS_HANDLER,
    wants: (_event, record) => targets.mayHaveTargets(record.owner),

    async handle(event, record: TaskRecord, ctx) {
      let all = await deliveries.forEvent(event.id);
      if (all.length === 0) {
        const { keyId, targets: found } = await targets.resolve(record);
        if (found.length === 0) return { done: true };
        all = await deliveries.open({ eventId: event.id, videoId: record.id, keyId }, found, ctx.now);
      }
      const now = clock.now();
      const next = await Promise.all(
        all.map(async (d) => {
          if (d.status !== 'pending' || d.nextAttemptAt === null) return undefined;
          if (d.nextAttemptAt > now) return d.nextAttemptAt;
          return (await attempt(d, event, ctx.log)).nextAttemptAt ?? undefined;
        }),
      );
      const due = next.filter((t): t is number => t !== undefined);
      return due.length === 0 ? { done: true } : { retryAt: Math.min(...due) };
    },
  };
}
