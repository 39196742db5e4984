import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Variant, VideoError, VideoStatus } from '../openai/videos.js';

/**
 * The contract between Reelay's video service and one upstream provider.
 * Every adapter speaks its own dialect on the wire and returns only these
 * normalised shapes; nothing provider-specific crosses this line.
 */

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

/** The client's reference image, already validated (magic bytes sniffed). */
export type InputReference =
  | { kind: 'file'; data: Buffer; mimeType: ImageMime; filename: string }
  | { kind: 'url'; url: string }
  | { kind: 'file_id'; fileId: string };

export interface CreateJob {
  prompt: string;
  /** Upstream model name chosen by routing (the target's `model`, default the alias). */
  model: string;
  /** aimlapi: the image-to-video model of the target, when configured. */
  imageModel?: string | undefined;
  seconds: string;
  size: string;
  inputReference?: InputReference | undefined;
}

/** What an adapter needs to find a job again: the record's pinned facts. */
export interface UpstreamJobRef {
  upstreamId: string;
  /** Fingerprint of the credential that created the job (never the key itself). */
  credential: string;
  /** Creation time in ms, for providers that estimate progress from elapsed time. */
  createdAt: number;
  seconds: string;
  size: string;
  /** Last known state, so adapters can keep progress monotonic. */
  last: UpstreamState;
}

/**
 * A normalised upstream state. `status: undefined` means the upstream used a
 * word the adapter's table does not know: the task keeps its last known state.
 */
export interface UpstreamState {
  status: VideoStatus | undefined;
  /** The upstream's own status word, kept for logs and metrics. */
  rawStatus?: string | undefined;
  progress?: number | undefined;
  error?: VideoError | null | undefined;
  /** Unix seconds. */
  completedAt?: number | null | undefined;
  /** Unix seconds. */
  expiresAt?: number | null | undefined;
  /** Where the finished bytes live, when the upstream says so. */
  contentUrl?: string | undefined;
  /** Provider-reported usage or cost, kept verbatim in the record. */
  usage?: unknown;
  /** Seconds of video delivered, when the provider reports them (a completed OpenAI-shaped video's `seconds`). */
  seconds?: number | undefined;
}

export interface AcceptedJob {
  upstreamId: string;
  credential: string;
  state: UpstreamState;
}

export interface ContentRequest {
  variant: Variant;
  /** The client's `Range` header, passed through when the provider can honour it. */
  range?: string | undefined;
}

export interface ContentResponse {
  status: 200 | 206;
  body: Readable;
  contentType: string;
  contentLength?: number | undefined;
  contentRange?: string | undefined;
  /** Validators of a file Reelay stores itself (src/storage): the quoted sha256, and when it was stored (an HTTP-date). */
  etag?: string | undefined;
  lastModified?: string | undefined;
}

export interface ProviderCapabilities {
  remix: boolean;
  /** Can delete the job upstream; without it delete removes the record only. */
  delete: boolean;
  variants: readonly Variant[];
  /** Values the provider itself accepts, used when a target declares none. */
  seconds?: readonly string[];
  sizes?: readonly string[];
}

export interface CallContext {
  log: Logger;
  signal?: AbortSignal;
}

export interface CredentialHealth {
  fingerprint: string;
  state: 'active' | 'cooling_down' | 'disabled';
  reason?: string;
}

export interface VideoProvider {
  readonly id: string;
  readonly type: string;
  readonly capabilities: ProviderCapabilities;
  create(job: CreateJob, ctx: CallContext): Promise<AcceptedJob>;
  status(ref: UpstreamJobRef, ctx: CallContext): Promise<UpstreamState>;
  content(ref: UpstreamJobRef, req: ContentRequest, ctx: CallContext): Promise<ContentResponse>;
  /** Present exactly when capabilities.remix is true. */
  remix?(ref: UpstreamJobRef, prompt: string, ctx: CallContext): Promise<AcceptedJob>;
  /** Present exactly when capabilities.delete is true. */
  delete?(ref: UpstreamJobRef, ctx: CallContext): Promise<void>;
  /** Credential pool health for /readyz. */
  health?(): CredentialHealth[];
  close?(): Promise<void>;
}

export interface ProviderDeps {
  logger: Logger;
  clock: Clock;
  /** The provider's own keep-alive pool; tests pass one aimed at a fake upstream. */
  dispatcher: Dispatcher;
}
