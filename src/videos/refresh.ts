import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { UpstreamJobRef } from '../providers/types.js';
import type { TaskRecord, TaskStore } from '../stores/task-store.js';
import { isTerminal, mergeState } from './state.js';

export interface RefreshOptions {
  /** Refresh a non-terminal record even when it is not stale yet. */
  force?: boolean;
}

export interface Refresher {
  /** The record, refreshed from its provider when non-terminal and stale. Never throws for upstream trouble. */
  refreshIfStale(record: TaskRecord, log: Logger, options?: RefreshOptions): Promise<TaskRecord>;
  /** Polls the provider once and writes the new state. */
  refresh(record: TaskRecord, log: Logger): Promise<TaskRecord>;
}

/** What an adapter gets to find a job again: the record's pinned facts. */
export const refOf = (record: TaskRecord): UpstreamJobRef => ({
  upstreamId: record.upstreamId,
  credential: record.credential,
  createdAt: record.createdAt,
  seconds: record.seconds,
  size: record.size,
  last: { ...record.state },
});

/**
 * Inline status refresh. Concurrent requests for one job in this process share
 * one upstream call (single-flight); upstream failures leave the last known
 * state in place, since a poll failure says nothing about the job itself.
 */
export function createRefresher(deps: {
  providers: ProviderRegistry;
  store: TaskStore;
  clock: Clock;
  staleMs: number;
}): Refresher {
  const inFlight = new Map<string, Promise<TaskRecord>>();

  const refresh = async (record: TaskRecord, log: Logger): Promise<TaskRecord> => {
    const provider = deps.providers.get(record.provider);
    if (!provider || isTerminal(record.state)) return record;
    let upstream;
    try {
      upstream = await provider.status(refOf(record), { log: log.child({ provider: provider.id }) });
    } catch (err) {
      const detail = err instanceof GatewayError ? { status: err.status, code: err.code, message: err.message } : err;
      log.warn({ videoId: record.id, err: detail }, 'status refresh failed; serving the last known state');
      return record;
    }
    if (upstream.status === undefined) {
      log.warn({ videoId: record.id, provider: provider.id, rawStatus: upstream.rawStatus }, 'unknown upstream status; keeping the last known state');
    }
    const now = deps.clock.now();
    const state = mergeState(record.state, upstream, now);
    const result = await deps.store.updateState(record.id, state, now);
    if (result === 'updated') return { ...record, state, updatedAt: now };
    return (await deps.store.get(record.id)) ?? record;
  };

  return {
    refresh,
    refreshIfStale(record, log, options = {}) {
      if (isTerminal(record.state)) return Promise.resolve(record);
      if (!options.force && deps.clock.now() - record.updatedAt < deps.staleMs) return Promise.resolve(record);
      const running = inFlight.get(record.id);
      if (running) return running;
      const p = refresh(record, log).finally(() => inFlight.delete(record.id));
      inFlight.set(record.id, p);
      return p;
    },
  };
}
