import { Writable } from 'node:stream';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PollConfig } from '../../src/config/schema.js';
import { UpstreamError } from '../../src/errors.js';
import { createMetrics } from '../../src/metrics.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createBudgets } from '../../src/budgets/budgets.js';
import { createSettleHandler } from '../../src/budgets/settle-handler.js';
import { createMemoryEventBacklog } from '../../src/events/backlog.js';
import { createEventDispatcher } from '../../src/events/dispatcher.js';
import type { BudgetLedger } from '../../src/budgets/ledger.js';
import { createMemoryBudgetLedger } from '../../src/budgets/memory-ledger.js';
import { createRedisBudgetLedger } from '../../src/budgets/redis-ledger.js';
import { windowsAt } from '../../src/budgets/windows.js';
import { createJobPoller, LATE_CHECK_FOR_MS, LATE_CHECK_MS, type JobPoller } from '../../src/polling/job-poller.js';
import type { UpstreamState, VideoProvider } from '../../src/providers/types.js';
import type { InflightStore } from '../../src/stores/inflight-store.js';
import type { JobSchedule } from '../../src/stores/job-schedule.js';
import { createMemoryInflightStore } from '../../src/stores/memory-inflight-store.js';
import { createMemoryJobSchedule } from '../../src/stores/memory-job-schedule.js';
import { createMemoryTaskStore } from '../../src/stores/memory-task-store.js';
import { connectRedis, createRedisClient } from '../../src/stores/redis-client.js';
import { createRedisInflightStore } from '../../src/stores/redis-inflight-store.js';
import { createRedisJobSchedule } from '../../src/stores/redis-job-schedule.js';
import { createRedisTaskStore } from '../../src/stores/redis-task-store.js';
import type { TaskRecord, TaskStore } from '../../src/stores/task-store.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { makeRecord } from '../stores/task-store.contract.js';

/**
 * The JobPoller, the one code path of background polls and inline refreshes,
 * against each shared-state backend. A scripted provider stands in for the
 * upstream; time is a manual clock, so every interval is exact.
 */

const POLL: PollConfig = { initial_ms: 2000, max_ms: 15_000, lease_ms: 30_000, give_up_after_s: 3600, stale_ms: 2000, min_interval_ms: 1000, concurrency: 64 };
const DAY_MS = 86_400_000;

interface Stores {
  store: TaskStore;
  schedule: JobSchedule;
  inflight: InflightStore;
  ledger: BudgetLedger;
}

interface Backend {
  stores(clock: ManualClock): Stores;
  close(): Promise<void>;
}

async function openBackend(kind: 'memory' | 'redis' | 'cluster'): Promise<Backend> {
  if (kind === 'memory') {
    return {
      stores: (clock) => {
        const inflight = createMemoryInflightStore();
        return { store: createMemoryTaskStore({ clock, retentionDays: 30 }), schedule: createMemoryJobSchedule(), inflight, ledger: createMemoryBudgetLedger(inflight) };
      },
      close: async () => {},
    };
  }
  let server: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  let client: Redis | Cluster;
  if (kind === 'redis') {
    server = await startRedisServer();
    client = createRedisClient({ url: server.url });
  } else {
    cluster = await startRedisCluster();
    client = createRedisClient({ url: 'redis://unused', cluster: cluster.urls });
  }
  await connectRedis(client);
  const logger = createLogger('silent');
  return {
    stores(clock) {
      const prefix = uniquePrefix('poller');
      return {
        store: createRedisTaskStore({ redis: client, prefix, retentionDays: 30, clock, logger }),
        schedule: createRedisJobSchedule({ redis: client, prefix, ttlMs: 30 * DAY_MS }),
        inflight: createRedisInflightStore({ redis: client, prefix }),
        ledger: createRedisBudgetLedger({ redis: client, prefix }),
      };
    },
    async close() {
      client.disconnect();
      await server?.stop();
      await cluster?.stop();
    },
  };
}

/** An upstream in a box: per-job states set by the test, every status call counted, calls holdable. */
function scriptedProvider() {
  const states = new Map<string, UpstreamState | 'error'>();
  const calls: string[] = [];
  let holding = false;
  const held: Array<() => void> = [];
  const provider: VideoProvider = {
    id: 'scripted',
    type: 'scripted',
    capabilities: { remix: false, delete: false, variants: ['video'] },
    create: () => Promise.reject(new Error('not used')),
    content: () => Promise.reject(new Error('not used')),
    async status(ref, ctx) {
      calls.push(ref.upstreamId);
      // The answer is what the upstream knew when asked, however late it arrives.
      const state = states.get(ref.upstreamId) ?? { status: 'queued', progress: 0 };
      if (holding) {
        await new Promise<void>((resolve, reject) => {
          held.push(resolve);
          ctx.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
      }
      if (state === 'error') throw new UpstreamError('upstream is having a bad day');
      return { ...state };
    },
  };
  return {
    provider,
    calls,
    set: (upstreamId: string, state: UpstreamState | 'error') => states.set(upstreamId, state),
    /** Calls made from now on wait; unhold() lets new calls through while the held ones keep waiting. */
    hold: () => (holding = true),
    unhold: () => (holding = false),
    releaseHeld: () => held.splice(0).forEach((resolve) => resolve()),
  };
}

function captureLogs(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', sink), lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(['memory', 'redis', 'cluster'] as const)('JobPoller on %s', (kind) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(kind);
  }, 30_000);
  afterAll(() => backend?.close());

  /** Fresh stores, a scripted provider and a job created at the clock's now, stored, scheduled and holding a slot. */
  async function setup(poll: PollConfig = POLL) {
    const clock = manualClock();
    const stores = backend.stores(clock);
    const upstream = scriptedProvider();
    const logs = captureLogs();
    const metrics = createMetrics({ defaults: false });
    const budgets = createBudgets({ ledger: stores.ledger, pricing: {}, clock, reservationMs: DAY_MS, concurrencyRetryS: 1 });
    const events = createEventDispatcher({ store: stores.store, handlers: [createSettleHandler(budgets)], backlog: createMemoryEventBacklog(), clock });
    const poller = (): JobPoller =>
      createJobPoller({ ...stores, budgets, events, providers: new Map([['scripted', upstream.provider]]), clock, poll, metrics, random: () => 0.5 });
    const record: TaskRecord = makeRecord(clock.now(), { provider: 'scripted' });
    await stores.store.put(record);
    // Admitted as the service admits: its seconds reserved and its slot taken, in one step.
    const windows = windowsAt(record.createdAt);
    await stores.ledger.admit({
      owner: record.owner,
      jobId: record.id,
      model: record.model,
      seconds: Number(record.seconds),
      usdMicros: 0,
      ...windows,
      limits: { maxConcurrent: 1 },
      now: clock.now(),
      holdUntil: clock.now() + DAY_MS,
    });
    /** The job's budget figures for its creation day. */
    const spent = async () => (await stores.ledger.totals(record.owner, windows.day, windows.month)).day;
    const first = poller();
    await first.scheduleFirst(record);
    /** The job is due exactly `ms` from now. */
    const expectDueIn = async (ms: number) => {
      expect(await stores.schedule.due(clock.now() + ms - 1, 100)).not.toContain(record.id);
      expect(await stores.schedule.due(clock.now() + ms, 100)).toContain(record.id);
    };
    return { clock, ...stores, events, upstream, logs, metrics, poller, first, record, expectDueIn, spent, up: record.upstreamId };
  }

  it('keeps the last state on an unknown upstream word, and counts it', async () => {
    const { clock, store, upstream, first: a, logs, metrics, record, up } = await setup();
    upstream.set(up, { status: 'in_progress', progress: 40 });
    clock.advance(POLL.initial_ms);
    await a.pollDue(record.id, logs.logger);
    upstream.set(up, { status: undefined, rawStatus: 'rendering_v2', progress: 50 });
    clock.advance(POLL.max_ms);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    expect((await store.get(record.id))?.state).toMatchObject({ status: 'in_progress' });
    const counted = await metrics.unknownStatus.get();
    expect(counted.values).toEqual([{ labels: { provider: 'scripted', status: 'rendering_v2' }, value: 1 }]);
    expect((await metrics.upstreamPolls.get()).values.find((v) => v.labels.outcome === 'ok')?.value).toBe(2);
  });

  it('polls on an adaptive schedule: initial_ms, ×1.5 up to max_ms while nothing moves, initial_ms again once progress moves', async () => {
    const { clock, store, upstream, first: a, logs, record, expectDueIn, up } = await setup();
    await expectDueIn(POLL.initial_ms);
    upstream.set(up, { status: 'in_progress', progress: 10 });
    clock.advance(POLL.initial_ms);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    await expectDueIn(2000);
    let previous = 2000;
    for (const interval of [3000, 4500, 6750, 10_125, 15_000, 15_000]) {
      clock.advance(previous);
      expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
      await expectDueIn(interval);
      previous = interval;
    }
    upstream.set(up, { status: 'in_progress', progress: 20 });
    clock.advance(15_000);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    await expectDueIn(2000);
    expect((await store.get(record.id))?.state).toMatchObject({ status: 'in_progress', progress: 20 });
    expect(upstream.calls).toHaveLength(8);
  });

  it('writes a terminal state once, settles its budget to the delivered seconds, then forgets the job and frees its slot', async () => {
    const { clock, store, schedule, inflight, upstream, first: a, logs, record, spent, up } = await setup();
    upstream.set(up, { status: 'completed', progress: 100, seconds: 3 });
    clock.advance(POLL.initial_ms);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    expect((await store.get(record.id))?.state).toMatchObject({ status: 'completed', seconds: 3 });
    expect(await schedule.due(clock.now() + DAY_MS, 100)).not.toContain(record.id);
    expect(await inflight.count(record.owner, clock.now())).toBe(0);
    expect(await spent()).toMatchObject({ reserved: 0, settled: 3, released: Number(record.seconds) - 3 });
    // A late refresh of the old record changes nothing upstream-side or in the store.
    clock.advance(POLL.initial_ms);
    upstream.set(up, { status: 'failed', error: { code: 'x', message: 'late' } });
    await a.refresh(record, logs.logger);
    expect((await store.get(record.id))?.state.status).toBe('completed');
  });

  it('releases the budget of a job that fails upstream', async () => {
    const { clock, upstream, first: a, logs, record, spent, up } = await setup();
    upstream.set(up, { status: 'failed', error: { code: 'moderation_blocked', message: 'no' } });
    clock.advance(POLL.initial_ms);
    await a.pollDue(record.id, logs.logger);
    expect(await spent()).toMatchObject({ reserved: 0, settled: 0, released: Number(record.seconds) });
  });

  it('settles a terminal job whose writer died before settling, when the job is next claimed', async () => {
    const { clock, store, schedule, events, first: a, logs, record, spent } = await setup();
    // The crashed writer: terminal state and its event written, no handler run, the job still in the schedule.
    const done = { status: 'completed', progress: 100, error: null, completedAt: 1, expiresAt: 2 } as const;
    await store.updateState(record.id, done, clock.now(), events.outboxFor(record, done, clock.now()));
    clock.advance(POLL.initial_ms);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    expect(await spent()).toMatchObject({ reserved: 0, settled: Number(record.seconds) });
    expect(await schedule.due(clock.now() + DAY_MS, 100)).not.toContain(record.id);
  });

  it('keeps a given-up job reserved and asks again hourly: a late completion settles it, the record stays failed', async () => {
    const { clock, store, schedule, inflight, upstream, first: a, logs, record, spent, up } = await setup({ ...POLL, give_up_after_s: 10 });
    upstream.set(up, { status: 'in_progress', progress: 40 });
    clock.advance(10_000);
    await a.pollDue(record.id, logs.logger);
    expect(await spent()).toMatchObject({ reserved: Number(record.seconds), settled: 0, released: 0 });
    expect(await inflight.count(record.owner, clock.now())).toBe(0);
    expect(await schedule.due(clock.now() + LATE_CHECK_MS - 1, 100)).not.toContain(record.id);
    clock.advance(LATE_CHECK_MS);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    expect(await spent()).toMatchObject({ reserved: Number(record.seconds) });
    upstream.set(up, { status: 'completed', progress: 100 });
    clock.advance(LATE_CHECK_MS);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    expect(await spent()).toMatchObject({ reserved: 0, settled: Number(record.seconds) });
    expect((await store.get(record.id))?.state).toMatchObject({ status: 'failed', error: { code: 'upstream_timeout' } });
    expect(await schedule.due(clock.now() + DAY_MS, 100)).not.toContain(record.id);
    expect(logs.lines().some((l) => (l.reconcile as { lateStatus?: string } | undefined)?.lateStatus === 'completed')).toBe(true);
  });

  it('stops asking about a given-up job after a week, leaving it reserved', async () => {
    const { clock, schedule, upstream, first: a, logs, record, spent, up } = await setup({ ...POLL, give_up_after_s: 10 });
    upstream.set(up, { status: 'in_progress', progress: 40 });
    clock.advance(10_000);
    await a.pollDue(record.id, logs.logger);
    clock.advance(LATE_CHECK_FOR_MS);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    expect(await schedule.due(clock.now() + DAY_MS, 100)).not.toContain(record.id);
    expect(await spent()).toMatchObject({ reserved: Number(record.seconds) });
  });

  it('gives up after give_up_after_s: failed with upstream_timeout, logged with the upstream id, slot freed', async () => {
    const { clock, store, schedule, inflight, upstream, first: a, logs, record, up } = await setup({ ...POLL, give_up_after_s: 10 });
    upstream.set(up, { status: 'in_progress', progress: 40 });
    clock.advance(POLL.initial_ms);
    await a.pollDue(record.id, logs.logger);
    expect((await store.get(record.id))?.state.status).toBe('in_progress');
    clock.advance(8000);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    const failed = await store.get(record.id);
    expect(failed?.state).toMatchObject({ status: 'failed', progress: 40, error: { code: 'upstream_timeout' } });
    // Still scheduled, but only for the hourly late check.
    expect(await schedule.due(clock.now() + LATE_CHECK_MS - 1, 100)).not.toContain(record.id);
    expect(await schedule.due(clock.now() + LATE_CHECK_MS, 100)).toContain(record.id);
    expect(await inflight.count(record.owner, clock.now())).toBe(0);
    const line = logs.lines().find((l) => l.reconcile !== undefined);
    expect(line).toMatchObject({ level: 'error', reconcile: { videoId: record.id, upstreamId: up, provider: 'scripted', owner: record.owner } });
  });

  it('lets another poller take over after lease_ms when the holder dies; the late holder discards its stale result', async () => {
    const { clock, store, upstream, poller, first: a, logs, record, up } = await setup();
    const b = poller();
    upstream.set(up, { status: 'in_progress', progress: 30 });
    clock.advance(POLL.initial_ms);
    upstream.hold();
    const stuck = a.pollDue(record.id, logs.logger);
    await until(() => upstream.calls.length === 1, 'the first poll to reach the upstream');
    upstream.unhold();
    expect(await b.pollDue(record.id, logs.logger)).toBe('skipped');
    clock.advance(POLL.lease_ms - 1);
    expect(await b.pollDue(record.id, logs.logger)).toBe('skipped');
    clock.advance(1);
    upstream.set(up, { status: 'in_progress', progress: 80 });
    expect(await b.pollDue(record.id, logs.logger)).toBe('polled');
    expect((await store.get(record.id))?.state.progress).toBe(80);
    upstream.releaseHeld();
    await stuck;
    expect((await store.get(record.id))?.state.progress).toBe(80);
    expect(logs.lines().some((l) => String(l.msg).includes('another instance took the job'))).toBe(true);
  });

  it('shares one upstream call among concurrent refreshes and allows one per min_interval_ms across pollers', async () => {
    const { clock, upstream, poller, first: a, logs, record, up } = await setup();
    const b = poller();
    upstream.set(up, { status: 'in_progress', progress: 5 });
    clock.advance(POLL.stale_ms);
    const answers = await Promise.all(Array.from({ length: 10 }, () => a.refresh(record, logs.logger)));
    expect(upstream.calls).toHaveLength(1);
    expect(answers.every((r) => r.state.progress === 5)).toBe(true);
    // Another instance asks right after: it gets the stored state, not a second call.
    expect((await b.refresh(record, logs.logger)).id).toBe(record.id);
    clock.advance(POLL.min_interval_ms - 1);
    await Promise.all([a.refresh(record, logs.logger), b.refresh(record, logs.logger), b.pollDue(record.id, logs.logger)]);
    expect(upstream.calls).toHaveLength(1);
    clock.advance(1);
    await Promise.all([b.refresh(record, logs.logger), a.refresh(record, logs.logger)]);
    expect(upstream.calls).toHaveLength(2);
  });

  it('keeps the last known state and backs off when the upstream call fails', async () => {
    const { clock, store, upstream, first: a, logs, record, expectDueIn, up } = await setup();
    upstream.set(up, 'error');
    clock.advance(POLL.initial_ms);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    const after = await store.get(record.id);
    expect(after?.state).toEqual(record.state);
    expect(after?.updatedAt).toBe(record.updatedAt);
    await expectDueIn(3000);
  });

  it('hands its leases back on close, so another instance need not wait for lease_ms', async () => {
    const { clock, schedule, upstream, poller, first: a, logs, record, up } = await setup();
    const b = poller();
    upstream.set(up, { status: 'in_progress', progress: 30 });
    clock.advance(POLL.initial_ms);
    upstream.hold();
    const stuck = a.pollDue(record.id, logs.logger);
    await until(() => upstream.calls.length === 1, 'the poll to reach the upstream');
    upstream.unhold();
    await a.close();
    await stuck;
    expect(await schedule.due(clock.now(), 100)).toContain(record.id);
    clock.advance(POLL.min_interval_ms);
    expect(await b.pollDue(record.id, logs.logger)).toBe('polled');
  });

  it('forgets a job whose record is gone', async () => {
    const { clock, store, schedule, first: a, logs, record } = await setup();
    await store.delete(record.id);
    clock.advance(POLL.initial_ms);
    expect(await a.pollDue(record.id, logs.logger)).toBe('polled');
    expect(await schedule.due(clock.now() + DAY_MS, 100)).not.toContain(record.id);
  });
});
