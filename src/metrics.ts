import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ScheduleStats } from './stores/job-schedule.js';

/** The provider calls the upstream metrics tell apart (the VideoProvider methods). */
export type UpstreamVerb = 'create' | 'status' | 'content' | 'delete' | 'remix';

/**
 * How an upstream call ended: `ok`; `timeout` (504, the upstream did not
 * answer in time); `rate_limited` (the upstream's 429); `rejected` (the
 * upstream refused the request itself: 4xx, not found); `aborted` (Reelay
 * stopped waiting: shutdown, or the client went away); `error` (5xx,
 * unreachable, our credential refused, a body Reelay could not read).
 */
export type UpstreamOutcome = 'ok' | 'timeout' | 'rate_limited' | 'rejected' | 'aborted' | 'error';


/** A job's facts the job metrics are labelled with. */
export interface JobFacts {
  provider: string;
  /** The model alias the client asked for (the record's `model`), never the upstream model name. */
  model: string;
  /** ms since the epoch, from the injected clock. */
  createdAt: number;
}

/**
 * Prometheus metrics of one Reelay process, on its own registry (no global
 * state): process defaults plus what an operator needs at 3 a.m. Counters are
 * this instance's (sum them across instances in PromQL); the gauges read at
 * scrape time from the shared store report the cluster-wide figure on every
 * instance (take `max`, not `sum`, across instances).
 */
export interface Metrics {
  registry: Registry;
  /** Upstream status words no adapter table knows; the job kept its last state. */
  unknownStatus: Counter<'provider' | 'status'>;
  /** Upstream status polls by outcome (`ok`, `error`); superseded by `upstreamRequests{verb="status"}`, kept for existing dashboards. */
  upstreamPolls: Counter<'provider' | 'outcome'>;
  /**
   * Webhook attempts by outcome: `delivered`, `retried` (failed, another attempt is planned),
   * `failed` (retries used up, or 410) and `refused` (the SSRF guard).
   */
  webhookDeliveries: Counter<'outcome'>;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method'>;
  upstreamRequests: Counter<'provider' | 'verb' | 'outcome'>;
  upstreamDuration: Histogram<'provider' | 'verb' | 'outcome'>;
  jobsCreated: Counter<'provider' | 'model'>;
  jobsCompleted: Counter<'provider' | 'model'>;
  jobsFailed: Counter<'provider' | 'model'>;
  jobDuration: Histogram<'provider' | 'outcome'>;
  /** Admissions by outcome: `admitted`, or why not (`concurrency_limit`, `insufficient_quota`, `model_not_priced`, `error`). */
  budgetReservations: Counter<'outcome'>;
  /** How reservations ended: `settled`, `released`, `rejected`, `kept` (given up, still reserved), `error`. */
  budgetSettlements: Counter<'result'>;
  /** Bytes of video content committed to custody storage, by driver. */
  custodyBytes: Counter<'storage'>;
  /** One request, once its response is sent. `route` is the route pattern (`unmatched` for none), never the raw URL. */
  observeRequest(route: string | undefined, method: string, status: number, seconds: number): void;
  /** A job the upstream accepted and Reelay stored (create or remix). */
  jobCreated(job: Pick<JobFacts, 'provider' | 'model'>): void;
  /** A job's terminal write, counted by the instance whose write won, so once per job. */
  jobFinished(job: JobFacts, status: 'completed' | 'failed', nowMs: number): void;
  /** Reports each event handler's backlog at scrape time from `read`. */
  trackBacklog(read: () => Promise<Record<string, number>>): void;
  /** Reports jobs in flight and the poller's lag at scrape time from `read` (the shared schedule, with the injected clock's `now`). */
  trackSchedule(read: () => Promise<ScheduleStats & { now: number }>): void;
}

/** Gateway latencies: a cached retrieve takes a millisecond, an upload or a slow upstream create tens of seconds. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Upstream calls start at a few ms (a local sandbox) and end at the 30 s default timeout. */
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];
/** Video generation: seconds for a sandbox, minutes for a real provider, up to the 6 h give-up. */
const JOB_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 43200];

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'reelay_' });
  let readBacklog: (() => Promise<Record<string, number>>) | undefined;
  let readSchedule: (() => Promise<ScheduleStats & { now: number }>) | undefined;
  new Gauge({
    name: 'reelay_events_backlog',
    help: 'Terminal video events a handler (settle, custody, webhooks) has not finished yet, across instances.',
    labelNames: ['handler'] as const,
    registers: [registry],
    async collect() {
      if (!readBacklog) return;
      // A scrape during a store outage reports what it can: the gauge simply keeps its last values.
      const counts = await readBacklog().catch(() => undefined);
      for (const [handler, n] of Object.entries(counts ?? {})) this.set({ handler }, n);
    },
  });

  // Both schedule gauges come from one read per scrape; whichever gauge collects first starts it.
  let pendingStats: Promise<(ScheduleStats & { now: number }) | undefined> | undefined;
  const scheduleStats = () => {
    pendingStats ??= (readSchedule ? readSchedule().catch(() => undefined) : Promise.resolve(undefined)).finally(() => {
      pendingStats = undefined;
    });
    return pendingStats;
  };
  new Gauge({
    name: 'reelay_jobs_in_flight',
    help:
      'Jobs in the shared poll schedule, across instances: every video not yet completed or failed, plus finished ones whose ' +
      'event handlers are still pending (see reelay_events_backlog) and ones Reelay gave up on that it still checks hourly.',
    registers: [registry],
    async collect() {
      const stats = await scheduleStats();
      if (stats) this.set(stats.scheduled);
    },
  });
  new Gauge({
    name: 'reelay_poller_lag_seconds',
    help: 'Age of the oldest overdue job in the shared poll schedule (0 when nothing is overdue), across instances.',
    registers: [registry],
    async collect() {
      const stats = await scheduleStats();
      if (stats) this.set(stats.oldestDueAt === undefined ? 0 : Math.max(0, stats.now - stats.oldestDueAt) / 1000);
    },
  });

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });

  const httpRequests = counter('reelay_http_requests_total', 'HTTP requests answered, by route pattern (unmatched for none), method and status code.', ['route', 'method', 'status']);
  const httpDuration = histogram('reelay_http_request_duration_seconds', 'Time to answer an HTTP request (until the response is sent), by route pattern and method.', ['route', 'method'], HTTP_BUCKETS);
  const jobsCreated = counter('reelay_jobs_created_total', 'Video jobs an upstream accepted and Reelay stored (creates and remixes), by provider and model alias.', ['provider', 'model']);
  const jobsCompleted = counter('reelay_jobs_completed_total', 'Video jobs that completed, by provider and model alias (counted once, by the instance whose terminal write won).', ['provider', 'model']);
  const jobsFailed = counter('reelay_jobs_failed_total', 'Video jobs that failed, given-up ones included, by provider and model alias (counted once, by the instance whose terminal write won).', ['provider', 'model']);
  const jobDuration = histogram('reelay_job_duration_seconds', 'From create to the terminal state, by provider and outcome (completed, failed).', ['provider', 'outcome'], JOB_BUCKETS);

  return {
    registry,
    trackBacklog(read) {
      readBacklog = read;
    },
    trackSchedule(read) {
      readSchedule = read;
    },
    unknownStatus: counter('reelay_upstream_unknown_status_total', 'Upstream status words no adapter status table knows (the job keeps its last known state).', ['provider', 'status']),
    webhookDeliveries: counter('reelay_webhook_deliveries_total', 'Webhook delivery attempts by outcome (delivered, retried, failed, refused).', ['outcome']),
    upstreamPolls: counter('reelay_upstream_polls_total', 'Upstream status polls, by provider and outcome (ok, error); superseded by reelay_upstream_requests_total{verb="status"}.', ['provider', 'outcome']),
    httpRequests,
    httpDuration,
    upstreamRequests: counter('reelay_upstream_requests_total', 'Calls to upstream providers, by provider, verb (create, status, content, delete, remix) and outcome (ok, timeout, rate_limited, rejected, aborted, error).', ['provider', 'verb', 'outcome']),
    upstreamDuration: histogram('reelay_upstream_request_duration_seconds', 'Time of an upstream provider call (for content: until the response headers), by provider, verb and outcome.', ['provider', 'verb', 'outcome'], UPSTREAM_BUCKETS),
    jobsCreated,
    jobsCompleted,
    jobsFailed,
    jobDuration,
    budgetReservations: counter('reelay_budget_reservations_total', 'Budget admissions of creates and remixes, by outcome (admitted, concurrency_limit, insufficient_quota, model_not_priced, error).', ['outcome']),
    budgetSettlements: counter('reelay_budget_settlements_total', 'Ends of budget reservations, by result (settled, released, rejected, kept, error); a step repeated after a crash counts again.', ['result']),
    custodyBytes: counter('reelay_custody_bytes_total', 'Bytes of video content committed to custody storage, by storage driver (fs, s3).', ['storage']),
    observeRequest(route, method, status, seconds) {
      const r = route ?? 'unmatched';
      httpRequests.inc({ route: r, method, status: String(status) });
      httpDuration.observe({ route: r, method }, seconds);
    },
    jobCreated({ provider, model }) {
      jobsCreated.inc({ provider, model });
    },
    jobFinished({ provider, model, createdAt }, status, nowMs) {
      (status === 'completed' ? jobsCompleted : jobsFailed).inc({ provider, model });
      jobDuration.observe({ provider, outcome: status }, Math.max(0, nowMs - createdAt) / 1000);
    },
  };
}
