import type { Principal } from '../auth/key-ring.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import {
  GatewayError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  ServiceUnavailableError,
  UpstreamTimeoutError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { Variant, Video, VideoDeleted, VideoList, VideoListQuery } from '../openai/videos.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ContentResponse, InputReference, VideoProvider } from '../providers/types.js';
import type { TaskRecord, TaskStore } from '../stores/task-store.js';
import { requireCapability } from './capabilities.js';
import { persistAccepted } from './persist.js';
import { createRefresher, refOf, type Refresher } from './refresh.js';
import { defaultModel, routeTargets } from './routing.js';
import { initialState, toVideo } from './state.js';
import { mintVideoId } from './video-id.js';

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
  store: TaskStore;
  clock: Clock;
}

export interface VideoService {
  create(principal: Principal, request: VideoCreateRequest, log: Logger): Promise<Video>;
  retrieve(principal: Principal, id: string, log: Logger): Promise<Video>;
  list(principal: Principal, query: VideoListQuery): Promise<VideoList>;
  delete(principal: Principal, id: string, log: Logger): Promise<VideoDeleted>;
  content(principal: Principal, id: string, variant: Variant, range: string | undefined, log: Logger): Promise<ContentResponse>;
  remix(principal: Principal, id: string, prompt: string, log: Logger): Promise<Video>;
  readonly refresher: Refresher;
}

export function createVideoService(deps: VideoServiceDeps): VideoService {
  const { config, providers, store, clock } = deps;
  const refresher = createRefresher({ providers, store, clock, staleMs: config.poll.stale_ms });

  const notFound = (id: string) =>
    new NotFoundError(`No video found with id '${id}'.`, { param: 'video_id', code: 'video_not_found' });

  /** Another key's video is indistinguishable from a missing one. */
  const owned = async (principal: Principal, id: string): Promise<TaskRecord> => {
    const record = await store.get(id);
    if (!record || record.owner !== principal.name) throw notFound(id);
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

  const resolveModel = (principal: Principal, requested: string | undefined): string => {
    const alias = requested ?? defaultModel(config.models);
    if (!(alias in config.models)) {
      const known = Object.keys(config.models).map((m) => `'${m}'`).join(', ');
      throw new InvalidRequestError(`The model '${alias}' does not exist. Available models: ${known}.`, {
        param: 'model',
        code: 'model_not_found',
      });
    }
    if (principal.models && !principal.models.includes(alias)) {
      throw new PermissionDeniedError(`This API key is not allowed to use the model '${alias}'.`, {
        param: 'model',
        code: 'model_not_allowed',
      });
    }
    return alias;
  };

  return {
    refresher,

    async create(principal, request, log) {
      const alias = resolveModel(principal, request.model);
      const routed = routeTargets(alias, config.models[alias]!, providers, request);
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
          const now = clock.now();
          const record: TaskRecord = {
            id: mintVideoId(now),
            owner: principal.name,
            provider: route.provider.id,
            upstreamId: accepted.upstreamId,
            credential: accepted.credential,
            model: alias,
            upstreamModel: route.upstreamModel,
            prompt: request.prompt,
            seconds: route.seconds,
            size: route.size,
            remixedFrom: null,
            createdAt: now,
            updatedAt: now,
            state: initialState(accepted.state, now),
          };
          await persistAccepted(store, record, plog);
          plog.info({ videoId: record.id, upstreamId: record.upstreamId }, 'video created');
          return toVideo(record);
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
    },

    async retrieve(principal, id, log) {
      const record = await owned(principal, id);
      return toVideo(await refresher.refreshIfStale(record, log));
    },

    async list(principal, query) {
      const page = await store.list(principal.name, { after: query.after, limit: query.limit, order: query.order });
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
      if (provider?.capabilities.delete && provider.delete) {
        try {
          await provider.delete(refOf(record), { log });
        } catch (err) {
          // Already gone upstream is what we wanted; anything else keeps the record so a retry can finish.
          if (!(err instanceof NotFoundError)) throw err;
        }
      } else {
        log.info({ videoId: id, provider: record.provider }, 'provider cannot delete upstream; removed from Reelay only');
      }
      if (!(await store.delete(id))) throw notFound(id);
      return { id, object: 'video.deleted', deleted: true };
    },

    async content(principal, id, variant, range, log) {
      const record = await owned(principal, id);
      const provider = providerOf(record);
      requireCapability(provider, { verb: 'content', variant });
      const fresh = await refresher.refreshIfStale(record, log, { force: record.state.status !== 'completed' });
      if (fresh.state.status !== 'completed') {
        throw new NotFoundError(
          fresh.state.status === 'failed'
            ? `Video '${id}' failed and has no content.`
            : `Video '${id}' is not ready yet (status: ${fresh.state.status}). Retry once its status is completed.`,
          { param: 'video_id', code: fresh.state.status === 'failed' ? 'video_failed' : 'video_not_ready' },
        );
      }
      return provider.content(refOf(fresh), { variant, range }, { log: log.child({ provider: provider.id }) });
    },

    async remix(principal, id, prompt, log) {
      const source = await owned(principal, id);
      const provider = providerOf(source);
      requireCapability(provider, { verb: 'remix' });
      const fresh = await refresher.refreshIfStale(source, log);
      if (fresh.state.status !== 'completed') {
        throw new InvalidRequestError(`Video '${id}' cannot be remixed until it is completed (status: ${fresh.state.status}).`, {
          param: 'video_id',
          code: 'video_not_ready',
        });
      }
      if (principal.models && !principal.models.includes(source.model)) {
        throw new PermissionDeniedError(`This API key is not allowed to use the model '${source.model}'.`, { param: 'model' });
      }
      const plog = log.child({ provider: provider.id });
      const accepted = await provider.remix!(refOf(fresh), prompt, { log: plog });
      const now = clock.now();
      const record: TaskRecord = {
        ...source,
        id: mintVideoId(now),
        owner: principal.name,
        upstreamId: accepted.upstreamId,
        credential: accepted.credential,
        prompt,
        remixedFrom: source.id,
        createdAt: now,
        updatedAt: now,
        state: initialState(accepted.state, now),
      };
      await persistAccepted(store, record, plog);
      plog.info({ videoId: record.id, upstreamId: record.upstreamId, remixedFrom: source.id }, 'video remixed');
      return toVideo(record);
    },
  };
}
