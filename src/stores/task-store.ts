import type { HandlerState, Outbox } from '../events/handler.js';
import type { Variant, VideoError, VideoStatus } from '../openai/videos.js';
import type { CustodyEntry, CustodyFiles } from '../storage/custody-record.js';

/**
 * TaskStore: the durable map from a public video id to everything Reelay must
 * know to answer for it. Two implementations (memory, Redis) pass one
 * contract suite (test/stores/task-store.contract.ts).
 */

export interface TaskState {
  status: VideoStatus;
  progress: number;
  error: VideoError | null;
  /** Unix seconds. */
  completedAt: number | null;
  /** Unix seconds. */
  expiresAt: number | null;
  /** Upstream's own status word, for logs. */
  rawStatus?: string | undefined;
  /** Where the finished bytes live, when the upstream told us. */
  contentUrl?: string | undefined;
  /** Provider-reported usage or cost (e.g. aimlapi meta.usage), verbatim. */
  usage?: unknown;
  /** Seconds of video delivered, as the provider reports them; budgets settle to this. */
  seconds?: number | undefined;
}

export interface TaskRecord {
  /** Public id, `video_<12 hex ms><32 hex random>`: sorting ids sorts by creation. */
  id: string;
  /** Name of the gateway key that created the video. */
  owner: string;
  provider: string;
  upstreamId: string;
  /** Fingerprint of the upstream credential used; the key itself stays in config. */
  credential: string;
  /** Public model alias the client asked for. */
  model: string;
  upstreamModel: string;
  prompt: string;
  seconds: string;
  size: string;
  remixedFrom: string | null;
  /** Estimated cost in USD (pricing × reserved seconds), recorded when the job was admitted. */
  estimatedUsd?: number | undefined;
  /** ms since epoch. */
  createdAt: number;
  /** ms since epoch of the last state write. */
  updatedAt: number;
  state: TaskState;
  /** Set by the terminal write: the job's lifecycle event and the handlers still to run on it. */
  outbox?: Outbox | undefined;
  /**
   * The files Reelay holds for this video (content custody). Written only by
   * updateCustody, never by put: a record built from another (a remix) must
   * not inherit the other video's files.
   */
  custody?: CustodyFiles | undefined;
}

export interface ListOptions {
  /** Exclusive cursor: a video id. */
  after?: string | undefined;
  limit: number;
  order: 'asc' | 'desc';
}

export interface ListPage {
  data: TaskRecord[];
  hasMore: boolean;
}

export type UpdateResult = 'updated' | 'missing' | 'terminal';

export interface TaskStore {
  /** Stores a new record and indexes it under its owner. */
  put(record: TaskRecord): Promise<void>;
  get(id: string): Promise<TaskRecord | undefined>;
  /**
   * Replaces the state of a record. A terminal state is written once: when the
   * stored state is already completed or failed, nothing changes ('terminal').
   * `outbox`, given with a terminal state, is written in the same atomic step:
   * the write that decides the single winner also records the event.
   */
  updateState(id: string, state: TaskState, updatedAt: number, outbox?: Outbox): Promise<UpdateResult>;
  /**
   * Moves one pending handler of the record's outbox on (`next`) or marks it
   * finished (`null`). False when the record is gone; never recreates it.
   */
  updateHandler(id: string, handler: string, next: HandlerState | null): Promise<boolean>;
  /**
   * Records one variant's custody entry, replacing any earlier one, in one
   * atomic step per variant (concurrent writers of different variants never
   * lose each other's). False when the record is gone; never recreates it.
   */
  updateCustody(id: string, variant: Variant, entry: CustodyEntry): Promise<boolean>;
  /** Removes the record and its index entry; false when it did not exist. */
  delete(id: string): Promise<boolean>;
  /** One owner's videos ordered by id (= creation time, ties broken by id). */
  list(owner: string, options: ListOptions): Promise<ListPage>;
  /** Throws when the store cannot serve requests (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
