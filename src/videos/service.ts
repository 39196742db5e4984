import type { Principal } from '../keys/principal.js';
import type { Clock } from '../clock.js';
import type { Config, ModelTarget } from '../config/schema.js';
import {
  GatewayError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  ServiceUnavailableError,
  UpstreamTimeoutError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Variant, Video, VideoDeleted, VideoList, VideoListQuery } from '../openai/videos.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JobPoller } from '../polling/job-poller.js';
import type { AcceptedJob, InputReference, VideoProvider } from '../providers/types.js';
import type { InflightStore } from '../stores/inflight-store.js';
import type { StatusCachedStore } from '../stores/status-cache.js';
import type { TaskRecord } from '../stores/task-store.js';
import { settleQuietly, type Budgets, type JobToAdmit } from '../budgets/budgets.js';
import type { EventDispatcher } from '../events/dispatcher.js';
import type { Remaining } from '../budgets/ledger.js';
import type { Custody } from '../storage/custody.js';
import type { ContentConditions, ContentReply } from '../storage/serve.js';
import { requireCapability } from './capabilities.js';
import { refOf } from './job-ref.js';
import { persistAccepted } from './persist.js';
import { defaultModel, routeTargets, targetsOf } from './routing.js';
import { initialState, isTerminal, toVideo } from './state.js';
import { isVideoId, mintVideoId } from './video-id.js';

export interface VideoCreateRequest {
  prompt: string;
  model?: string | undefined;
  seconds?: string | undefined;
  size?: string | undefined;
  inputReference?: InputReference | undefined;
}

export interface VideoServiceDeps {
  config: Pick<Config, 'models' | 'poll'>;
  providers: ProviderRegistry;
  /** Status reads of finished videos may come from its cache (src/stores/status-cache.ts); every other read is fresh. */
  store: StatusCachedStore;
  /** Concurrency slots per gateway key (`max_concurrent`). */
  inflight: InflightStore;
  /** Polling of non-terminal jobs, shared with the background poller. */
  jobs: JobPoller;
  /** Spend per key: admission with the concurrency slot, and settlement. */
  budgets: Budgets;
  /** A job terminal at once gets its event here, as the poller's terminal writes do. */
  events: Pick<EventDispatcher, 'outboxFor' | 'track'>;
  /** Content custody (src/storage); absent with `storage.type: none`, when content streams from the provider as it always did. */
  custody?: Pick<Custody, 'open' | 'discard'> | undefined;
  clock: Clock;
  /** Jobs created, and the terminal writes of jobs terminal at create. */
  metrics: Pick<Metrics, 'jobCreated' | 'jobFinished'>;
  /**
   * The store, slots and schedule apply writes in the order they are sent
   * (memory, or one Redis server over one connection): a create's record,
   * slot and schedule then go out together, one round trip. False on a
   * Cluster, where the record must land before its schedule entry does.
   */
  writesInOrder?: boolean | undefined;
}

/** A reserved slot frees itself after this long if the create never finishes (the instance died mid-create). */
export const RESERVATION_MS = 10 * 60_000;

/** A video answer plus, while it is not terminal, when the client should ask again. */
export interface VideoReply {
  video: Video;
  /** For the `openai-poll-after-ms` header; undefined once the video is terminal. */
  pollAfterMs: number | undefined;
  /** What the key's budgets have left after this create's reservation, for the x-reelay-*-remaining headers. */
  remaining?: Remaining | undefined;
}

export interface VideoService {
  create(principal: Principal, request: VideoCreateRequest, log: Logger): Promise<VideoReply>;
  retrieve(principal: Principal, id: string, log: Logger): Promise<VideoReply>;
  list(principal: Principal, query: VideoListQuery): Promise<VideoList>;
  delete(principal: Principal, id: string, log: Logger): Promise<VideoDeleted>;
  /** `conditions`: the client's Range and If-None-Match; a stored file may answer 304. */
  content(principal: Principal, id: string, variant: Variant, conditions: ContentConditions, log: Logger): Promise<ContentReply>;
  remix(principal: Principal, id: string, prompt: string, log: Logger): Promise<VideoReply>;
}

export function createVideoService(deps: VideoServiceDeps): VideoService {
  const { config, providers, store, inflight, jobs, clock, budgets, events, custody, metrics } = deps;
  const { poll } = config;

  /**
   * The record, refreshed from its provider when non-terminal and older than
   * `poll.stale_ms` (or at once with `force`). The refresh goes through the
   * job's poll lease, so it is single-flight across instances and never calls
   * upstream more than once per `poll.min_interval_ms`; when the lease is
   * elsewhere the stored record answers.
   */
  const refreshIfStale = (record: TaskRecord, log: Logger, force = false): Promise<TaskRecord> => {
    if (isTerminal(record.state)) return Promise.resolve(record);
    if (!force && clock.now() - record.updatedAt < poll.stale_ms) return Promise.resolve(record);
    return jobs.refresh(record, log);
  };

  /**
   * Fresh data exists once the record is stale (the next retrieve refreshes
   * it), but never sooner than the min-interval floor allows a poll.
   */
  const reply = (record: TaskRecord): VideoReply => {
    if (isTerminal(record.state)) return { video: toVideo(record), pollAfterMs: undefined };
    const untilStale = record.updatedAt + poll.stale_ms - clock.now();
    const pollAfterMs = Math.min(poll.max_ms, Math.max(untilStale, poll.min_interval_ms, 100));
    return { video: toVideo(record), pollAfterMs };
  };

  /** Gives back what admission took after a failed create; a lost step only delays the slot's own deadline. */
  const unadmit = async (principal: Principal, job: Pick<TaskRecord, 'id' | 'createdAt'>, log: Logger): Promise<void> => {
    try {
      await budgets.reject(principal.owner, job);
      await inflight.release(principal.owner, job.id);
    } catch (err) {
      log.warn({ err: { message: (err as Error).message }, videoId: job.id }, 'could not undo the admission of a refused create; its slot frees itself later');
    }
  };

  /**
   * Stores an accepted job with its schedule and slot. A job already terminal
   * is stored with its event, like any terminal write, and scheduled so the
   * poller runs its handlers; its slot is freed at once.
   */
  const persist = async (job: TaskRecord, log: Logger): Promise<void> => {
    const terminal = isTerminal(job.state);
    // The slot outlives the give-up deadline a little: by then the poller has released it.
    const holdUntil = job.createdAt + poll.give_up_after_s * 1000 + 2 * poll.lease_ms;
    const now = clock.now();
    const stored = terminal ? { ...job, outbox: events.outboxFor(job, job.state, now) } : job;
    await persistAccepted(
      job,
      async () => {
        // A poller finding a schedule entry without its record unschedules it, so the record is sent first.
        if (!terminal && deps.writesInOrder) {
          await Promise.all([store.put(stored), inflight.hold(job.owner, job.id, { now, until: holdUntil }), jobs.scheduleFirst(job)]);
          return;
        }
        await store.put(stored);
        if (terminal) {
          await Promise.all([inflight.release(job.owner, job.id), jobs.scheduleFirst(job)]);
          await events.track(stored, stored.outbox!, log.child({ videoId: job.id }));
        } else {
          await Promise.all([inflight.hold(job.owner, job.id, { now, until: holdUntil }), jobs.scheduleFirst(job)]);
        }
      },
      log,
    );
  };

  /**
   * Admission (budget and concurrency slot, one atomic step, so a key at its
   * limit never starts a paid job), the upstream call (`start`), then the
   * durable record: the one path of create and remix.
   */
  const startJob = async (
    principal: Principal,
    admission: JobToAdmit,
    log: Logger,
    start: (estimatedUsd: number) => Promise<{ job: TaskRecord; plog: Logger }>,
  ): Promise<{ job: TaskRecord; remaining: Remaining }> => {
    const admitted = await budgets.admit(principal, admission);
    let started;
    try {
      started = await start(admitted.usdMicros / 1_000_000);
    } catch (err) {
      // A timed-out create may have started a job upstream after all: its slot and seconds stay reserved until they lapse.
      if (!(err instanceof UpstreamTimeoutError)) await unadmit(principal, admission, log);
      throw err;
    }
    await persist(started.job, started.plog);
    metrics.jobCreated(started.job);
    // Terminal at create: this put is the job's terminal write, the one place it is counted (the poller's would be refused).
    if (isTerminal(started.job.state)) metrics.jobFinished(started.job, started.job.state.status === 'completed' ? 'completed' : 'failed', clock.now());
    return { job: started.job, remaining: admitted.remaining };
  };

  /** The state fields of a record for a job the upstream just accepted. */
  const acceptedAt = (accepted: AcceptedJob) => {
    const now = clock.now();
    return { upstreamId: accepted.upstreamId, credential: accepted.credential, updatedAt: now, state: initialState(accepted.state, now) };
  };

  const notFound = (id: string) =>
    new NotFoundError(`No video found with id '${id}'.`, { param: 'video_id', code: 'video_not_found' });

  /** Another key's video is indistinguishable from a missing one. `forStatus`: a finished video's record may come from the status cache. */
  const owned = async (principal: Principal, id: string, forStatus = false): Promise<TaskRecord> => {
    // Anything that is not one of our ids never reaches the store (no odd Redis keys, no hash tags).
    if (!isVideoId(id)) throw notFound(id);
    const record = await (forStatus ? store.getForStatus(id) : store.get(id));
    if (!record || record.owner !== principal.owner) throw notFound(id);
    return record;
  };

  const providerOf = (record: TaskRecord): VideoProvider => {
    const provider = providers.get(record.provider);
    if (!provider) {
      throw new InvalidRequestError(
        `The provider that created video '${record.id}' is no longer configured.`,
        { param: 'video_id', code: 'provider_unavailable' },
      );
    }
    return provider;
  };

  const requireModelAllowed = (principal: Principal, alias: string): void => {
    if (principal.models && !principal.models.includes(alias)) {
      throw new PermissionDeniedError(`This API key is not allowed to use the model '${alias}'.`, {
        param: 'model',
        code: 'model_not_allowed',
      });
    }
  };

  const resolveModel = (principal: Principal, requested: string | undefined): { alias: string; targets: readonly ModelTarget[] } => {
    const alias = requested ?? defaultModel(config.models);
    const targets = targetsOf(config.models, alias);
    if (!targets) {
      // Only the aliases this key may use: the rest are none of its business.
      const known = (principal.models ?? Object.keys(config.models)).map((m) => `'${m}'`).join(', ');
      throw new InvalidRequestError(`The model '${alias}' does not exist. Available models: ${known}.`, {
        param: 'model',
        code: 'model_not_found',
      });
    }
    requireModelAllowed(principal, alias);
    return { alias, targets };
  };

  return {
    async create(principal, request, log) {
      const { alias, targets } = resolveModel(principal, request.model);
      const routed = routeTargets(alias, targets, providers, request);
      const createdAt = clock.now();
      const id = mintVideoId(createdAt);
      // Failover may land on a target that makes more seconds: reserve the most, settlement gives back the rest.
      const largest = routed.reduce((a, b) => (Number(b.seconds) > Number(a.seconds) ? b : a));
      const admission = { id, model: alias, seconds: Number(largest.seconds), size: largest.size, createdAt };
      const { job, remaining } = await startJob(principal, admission, log, async (estimatedUsd) => {
        for (const [i, route] of routed.entries()) {
          const plog = log.child({ provider: route.provider.id });
          try {
            const accepted = await route.provider.create(
              {
                prompt: request.prompt,
                model: route.upstreamModel,
                imageModel: route.target.image_model,
                seconds: route.seconds,
                size: route.size,
                inputReference: request.inputReference,
              },
              { log: plog },
            );
            const job: TaskRecord = {
              id,
              owner: principal.owner,
              provider: route.provider.id,
              model: alias,
              upstreamModel: route.upstreamModel,
              prompt: request.prompt,
              seconds: route.seconds,
              size: route.size,
              remixedFrom: null,
              estimatedUsd,
              createdAt,
              ...acceptedAt(accepted),
            };
            return { job, plog };
          } catch (err) {
            const last = i === routed.length - 1;
            if (err instanceof GatewayError && err.failover && !last) {
              plog.warn({ err: { message: err.message, code: err.code, status: err.status } }, 'create failed; trying the next target');
              continue;
            }
            // A timed-out create may have started a job upstream: a retry could pay twice.
            if (err instanceof UpstreamTimeoutError || err instanceof ServiceUnavailableError) {
              err.headers['x-should-retry'] = 'false';
            }
            throw err;
          }
        }
        throw new Error('unreachable: routeTargets returns at least one target');
      });
      log.child({ provider: job.provider }).info({ videoId: job.id, upstreamId: job.upstreamId }, 'video created');
      return { ...reply(job), remaining };
    },

    async retrieve(principal, id, log) {
      const record = await owned(principal, id, true);
      return reply(await refreshIfStale(record, log));
    },

    async list(principal, query) {
      const page = await store.list(principal.owner, { after: query.after, limit: query.limit, order: query.order });
      const data = page.data.map(toVideo);
      return {
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: page.hasMore,
      };
    },

    async delete(principal, id, log) {
      const record = await owned(principal, id);
      const provider = providers.get(record.provider);
      let goneUpstream = false;
      if (provider?.capabilities.delete && provider.delete) {
        try {
          await provider.delete(refOf(record), { log });
        } catch (err) {
          // Already gone upstream is what we wanted; anything else keeps the record so a retry can finish.
          if (!(err instanceof NotFoundError)) throw err;
        }
        goneUpstream = true;
      } else {
        log.info({ videoId: id, provider: record.provider }, 'provider cannot delete upstream; removed from Reelay only');
      }
      if (!(await store.delete(id))) throw notFound(id);
      // After the record: a copy finishing meanwhile finds no record and deletes its own file (storage/copies.ts).
      await custody?.discard(id, log.child({ provider: record.provider }));
      // A running job deleted upstream will never bill; one the provider cannot delete may, so it stays reserved.
      if (goneUpstream && !isTerminal(record.state)) await settleQuietly(budgets.release(record), log, id);
      // The record is gone either way; a lost cleanup is healed by the poller (schedule) or the slot's own deadline.
      await jobs.forget(record).catch((err: unknown) =>
        log.warn({ err: { message: (err as Error).message }, videoId: id }, 'could not unschedule a deleted video'),
      );
      return { id, object: 'video.deleted', deleted: true };
    },

    async content(principal, id, variant, conditions, log) {
      const record = await owned(principal, id);
      const fromProvider = async () => {
        const provider = providerOf(record);
        requireCapability(provider, { verb: 'content', variant });
        const fresh = await refreshIfStale(record, log, record.state.status !== 'completed');
        if (fresh.state.status !== 'completed') {
          throw new NotFoundError(
            fresh.state.status === 'failed'
              ? `Video '${id}' failed and has no content.`
              : `Video '${id}' is not ready yet (status: ${fresh.state.status}). Retry once its status is completed.`,
            { param: 'video_id', code: fresh.state.status === 'failed' ? 'video_failed' : 'video_not_ready' },
          );
        }
        return provider.content(refOf(fresh), { variant, range: conditions.range }, { log: log.child({ provider: provider.id }) });
      };
      // A stored file is served from storage even once the provider's link (or the provider itself) is gone.
      return custody ? custody.open(record, variant, conditions, fromProvider, log) : fromProvider();
    },

    async remix(principal, id, prompt, log) {
      const source = await owned(principal, id);
      const provider = providerOf(source);
      requireCapability(provider, { verb: 'remix' });
      // Before the refresh: a key that may not use the model never causes an upstream poll.
      requireModelAllowed(principal, source.model);
      const fresh = await refreshIfStale(source, log);
      if (fresh.state.status !== 'completed') {
        throw new InvalidRequestError(`Video '${id}' cannot be remixed until it is completed (status: ${fresh.state.status}).`, {
          param: 'video_id',
          code: 'video_not_ready',
        });
      }
      const plog = log.child({ provider: provider.id });
      const createdAt = clock.now();
      const newId = mintVideoId(createdAt);
      const admission = { id: newId, model: source.model, seconds: Number(source.seconds), size: source.size, createdAt };
      const { job, remaining } = await startJob(principal, admission, log, async (estimatedUsd) => {
        const accepted = await provider.remix!(refOf(fresh), prompt, { log: plog });
        // The source's event and stored files are the source's own.
        const { outbox: _outbox, custody: _custody, ...facts } = source;
        const job: TaskRecord = { ...facts, id: newId, owner: principal.owner, prompt, remixedFrom: source.id, estimatedUsd, createdAt, ...acceptedAt(accepted) };
        return { plog, job };
      });
      plog.info({ videoId: job.id, upstreamId: job.upstreamId, remixedFrom: source.id }, 'video remixed');
      return { ...reply(job), remaining };
    },
  };
}
