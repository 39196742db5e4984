import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { JobPoller } from '../polling/job-poller.js';
import type { TaskRecord } from '../stores/task-store.js';
import { isTerminal } from './state.js';

export interface RefreshOptions {
  /** Refresh a non-terminal record even when it is not stale yet. */
  force?: boolean;
}

export interface Refresher {
  /**
   * The record, refreshed from its provider when non-terminal and older than
   * `poll.stale_ms`. The refresh goes through the job's poll lease, so it is
   * single-flight across instances and never calls upstream more than once per
   * `poll.min_interval_ms`; when the lease is elsewhere the stored record answers.
   */
  refreshIfStale(record: TaskRecord, log: Logger, options?: RefreshOptions): Promise<TaskRecord>;
}

export function createRefresher(deps: { jobs: JobPoller; clock: Clock; staleMs: number }): Refresher {
  return {
    refreshIfStale(record, log, options = {}) {
      if (isTerminal(record.state)) return Promise.resolve(record);
      if (!options.force && deps.clock.now() - record.updatedAt < deps.staleMs) return Promise.resolve(record);
      return deps.jobs.refresh(record, log);
    },
  };
}
