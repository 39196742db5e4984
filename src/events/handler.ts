import type { Logger } from '../logger.js';
import type { TaskRecord } from '../stores/task-store.js';
import type { VideoEvent } from './event.js';

/**
 * A consumer of the outbox: budget settlement, content custody, webhooks.
 * Delivery is at least once, so `handle` must be idempotent by event id: a
 * handler may run again after an instance died mid-way, or after a retry.
 * Handlers run under the job's poll lease, so at most one instance runs a
 * given job's handlers at a time, and a dead instance's work moves on after
 * `poll.lease_ms`, exactly as its polls do.
 */
export interface EventHandler {
  /** Stable name: it is stored with each pending event and labels the backlog metric. */
  readonly name: string;
  /**
   * Cheap enough (a store write) to run in a client's request when its
   * retrieve is the poll that saw the job finish, so what the client reads
   * next already reflects it. Others (a custody copy, a webhook) are left to
   * the background poller.
   */
  readonly inline?: boolean;
  /** Whether this event needs this handler at all; decided once, when the event is created. */
  wants(event: VideoEvent, record: TaskRecord): boolean;
  handle(event: VideoEvent, record: TaskRecord, ctx: HandlerContext): Promise<HandlerResult>;
}

export interface HandlerContext {
  /** 1 on the first attempt. */
  attempt: number;
  /** ms since the epoch, from the injected clock. */
  now: number;
  log: Logger;
}

/** Finished (for good, whatever the outcome), or try again at `retryAt` (ms since the epoch). */
export type HandlerResult = { done: true } | { retryAt: number };

/** A pending handler's progress, stored with the event. */
export interface HandlerState {
  attempts: number;
  /** ms since the epoch of the next attempt. */
  nextAt: number;
}

/** The outbox entry a terminal record carries: its event and the handlers that have not finished with it. */
export interface Outbox {
  event: VideoEvent;
  pending: Record<string, HandlerState>;
}
