import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createMany } from '../lib/create-many.js';
import type { BenchEnv, ReelayServer } from '../lib/env.js';
import { percentile } from '../lib/load.js';
import { doublePolls, lateness, watchSchedule, type Arrivals, type ScheduleWatch } from '../lib/poll-schedule.js';
import type { Preset } from '../lib/presets.js';
import { peakRssBytes, processCpuUs, resetPeakRss, rssBytes } from '../lib/proc.js';
import { benchRedis, waitFor } from '../lib/redis.js';
import type { NodeServer } from '../lib/spawn.js';
import { fmt, type ArmResult, type Column, type Metrics, type ScenarioResult, type SummaryRow } from '../lib/types.js';
import { show } from './common.js';

/**
 * 5. Polling at scale. `jobs` (10,000 in the full run) in-progress jobs on one
 * Reelay, created through its API, against a fake upstream of their own that
 * answers at once and keeps them in progress. poll.initial_ms = max_ms, so
 * every job is due every interval (± the poller's 20 % jitter). Over a
 * window: how late each poll arrived at the upstream against the due time
 * Reelay had written in Redis (lib/poll-schedule.ts), Reelay's CPU share
 * and its peak RSS. Then a second Reelay on the same prefix shares the same
 * jobs: the calls each instance made (they name themselves in the upstream's
 * path) and whether any job was polled twice within poll.min_interval_ms.
 * Counting, not timing under A/B: one pass.
 */

export const SCALE_TARGETS = { p99LateMs: 1000, cpuShare: 0.5, rssMb: 300, splitWithin: 0.1 };
const MIN_INTERVAL_MS = 1000;
const LEASE_MS = 60_000;

const COLUMNS: Column[] = [
  { key: 'polls', label: 'upstream polls', format: fmt.int },
  { key: 'pollsPerS', label: 'polls/s', format: fmt.int },
  { key: 'p50LateMs', label: 'lateness p50', format: fmt.ms },
  { key: 'p99LateMs', label: 'lateness p99', format: fmt.ms },
  { key: 'maxLateMs', label: 'lateness max', format: fmt.ms },
  { key: 'unanswered', label: 'due, still waiting at the end', format: fmt.int },
  { key: 'cpuShare', label: 'Reelay CPU', format: fmt.pct },
  { key: 'cpuUsPerPoll', label: 'CPU/poll', format: fmt.us },
  { key: 'peakRssMb', label: 'peak RSS', format: fmt.mb },
  { key: 'share', label: 'share of polls', format: fmt.pct },
  { key: 'doublePolls', label: `polled twice < ${MIN_INTERVAL_MS} ms`, format: fmt.int },
];

interface Window {
  from: number;
  to: number;
  /** Per instance: CPU µs over the window and peak RSS in bytes. */
  usage: Array<{ cpuUs: number | undefined; peakRss: number | undefined }>;
}

export async function pollingScale(env: BenchEnv, preset: Preset, log: (l: string) => void): Promise<ScenarioResult> {
  const { jobs, intervalMs, windowS, createConcurrency } = preset.pollingScale;
  const poll = { initial_ms: intervalMs, max_ms: intervalMs, min_interval_ms: MIN_INTERVAL_MS, lease_ms: LEASE_MS };
  const prefix = `bench:scale:${randomBytes(4).toString('hex')}:`;
  const tag = `scale-${randomBytes(3).toString('hex')}`;
  const instances: ReelayServer[] = [];
  let upstream: NodeServer | undefined;
  let redis: Redis | undefined;
  let watch: ScheduleWatch | undefined;
  try {
    // Its own upstream, beside the load generator: its arrival log holds only these jobs.
    upstream = await env.startServer('scale-upstream', 'test/bench/servers/fake-upstream.ts', {}, 'load');
    const start = (caller: string) =>
      env.startReelay({ name: `scale-reelay-${caller}`, prefix, upstream: upstream!.origin, upstreamCaller: caller, poll });
    instances.push(await start('a'));
    redis = await benchRedis(env.redis.url);
    watch = watchSchedule(redis, prefix, { everyMs: 250, leaseMs: LEASE_MS });

    log(`  creating ${fmt.int(jobs)} jobs through Reelay (${createConcurrency} at once)`);
    const t0 = Date.now();
    const ids = await createMany({
      origin: instances[0]!.origin,
      headers: env.authHeaders(),
      count: jobs,
      concurrency: createConcurrency,
      // A day to finish: every poll finds them in progress.
      prompt: (i) => `#tag=${tag} #ms=86400000 job ${i}`,
    });
    log(`    ${fmt.int(jobs / ((Date.now() - t0) / 1000))} creates/s`);
    // Steady state: every job has had its first poll, so each now follows its interval.
    await waitFor(
      'every job to be polled once',
      async () => {
        const calls = await statusCalls(upstream!, tag);
        return calls.length === jobs && calls.every((n) => n > 0) ? true : undefined;
      },
      20 * intervalMs + 60_000,
      1000,
    );

    log(`  one instance, ${windowS} s`);
    const one = await measureWindow(instances, windowS);

    instances.push(await start('b'));
    // Both instances in the rotation once the second has polled: from then on they race for every due job.
    await waitFor('the second instance to poll', async () => ((await callersOf(upstream!)).includes('b') ? true : undefined), 60_000, 100);
    log(`  two instances, ${windowS} s`);
    const two = await measureWindow(instances, windowS);

    const dues = await watch.stop();
    watch = undefined;
    const { callers, jobs: byUpstreamId } = await arrivalsOf(upstream, tag);
    // The schedule knows Reelay's ids, the upstream its own: the records map one to the other.
    const upstreamIds = await upstreamIdsOf(redis, prefix, ids);
    const arrivals = new Map(ids.map((id, i) => [id, byUpstreamId.get(upstreamIds[i]!) ?? []]));
    const callerIndex = (name: string) => callers.indexOf(name);
    const phaseOne = summariseWindow(one, dues, arrivals, [callerIndex('a')], 'one instance');
    const phaseTwo = summariseWindow(two, dues, arrivals, [callerIndex('a'), callerIndex('b')], 'two instances');
    const arms: ArmResult[] = [...phaseOne.arms, ...phaseTwo.arms];
    for (const a of arms) log(`    ${a.label.padEnd(40)} ${describe(a.median)}`);
    return {
      name: 'polling-scale',
      title: 'Polling at scale',
      phases: [{ label: `${fmt.int(jobs)} jobs, due every ${intervalMs / 1000} s, ${windowS} s per phase`, columns: COLUMNS, arms }],
      summary: rows(jobs, intervalMs, phaseOne.arms, phaseTwo.arms),
      notes: [...phaseOne.notes, ...phaseTwo.notes],
    };
  } finally {
    await watch?.stop().catch(() => undefined);
    redis?.disconnect();
    await Promise.all([...instances.map((i) => i.stop()), upstream?.stop()]);
  }
}

async function measureWindow(instances: readonly ReelayServer[], windowS: number): Promise<Window> {
  const cpu0 = instances.map((i) => processCpuUs(i.pid));
  const reset = instances.map((i) => resetPeakRss(i.pid));
  const sampled = instances.map((i) => rssBytes(i.pid) ?? 0);
  const sampler = setInterval(() => instances.forEach((i, n) => (sampled[n] = Math.max(sampled[n]!, rssBytes(i.pid) ?? 0))), 100);
  const from = Date.now();
  try {
    // The window is the measurement: Reelay polls on its own schedule meanwhile.
    await delay(windowS * 1000);
  } finally {
    clearInterval(sampler);
  }
  const to = Date.now();
  return {
    from,
    to,
    usage: instances.map((i, n) => {
      const c0 = cpu0[n];
      const c1 = processCpuUs(i.pid);
      const hwm = reset[n] ? peakRssBytes(i.pid) : undefined;
      return { cpuUs: c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined, peakRss: Math.max(hwm ?? 0, sampled[n]!) || undefined };
    }),
  };
}

function summariseWindow(w: Window, dues: Map<string, number[]>, all: Map<string, Arrivals>, callers: number[], label: string): { arms: ArmResult[]; notes: string[] } {
  const seconds = (w.to - w.from) / 1000;
  const late = lateness(dues, all, w.from, w.to);
  const sorted = late.lateMs.slice().sort((a, b) => a - b);
  const doubles = doublePolls(all, MIN_INTERVAL_MS, w.from, w.to);
  let total = 0;
  const perCaller = callers.map(() => 0);
  for (const calls of all.values()) {
    for (const [t, c] of calls) {
      if (t < w.from || t >= w.to) continue;
      total++;
      const k = callers.indexOf(c);
      if (k !== -1) perCaller[k]!++;
    }
  }
  const overall: Metrics = {
    polls: total,
    pollsPerS: total / seconds,
    p50LateMs: percentile(sorted, 50),
    p99LateMs: percentile(sorted, 99),
    maxLateMs: sorted.at(-1),
    unanswered: late.unanswered,
    unmatched: late.unmatched,
    doublePolls: doubles.count,
    closestMs: doubles.closestMs,
  };
  const arms: ArmResult[] = [];
  const perInstance = callers.map((_, k): Metrics => {
    const u = w.usage[k]!;
    return {
      polls: perCaller[k],
      pollsPerS: perCaller[k]! / seconds,
      cpuShare: u.cpuUs === undefined ? undefined : u.cpuUs / 1e6 / seconds,
      cpuUsPerPoll: u.cpuUs === undefined || perCaller[k] === 0 ? undefined : u.cpuUs / perCaller[k]!,
      peakRssMb: u.peakRss === undefined ? undefined : u.peakRss / (1024 * 1024),
      share: total > 0 ? perCaller[k]! / total : undefined,
    };
  });
  const name = (k: number) => `Reelay ${String.fromCharCode(97 + k)}`;
  const id = label === 'one instance' ? 'one' : 'two';
  arms.push({ id: `${id}`, label: `${label}: all polls`, runs: [overall], median: overall });
  perInstance.forEach((m, k) => arms.push({ id: `${id}-${String.fromCharCode(97 + k)}`, label: `${label}: ${name(k)}`, runs: [m], median: m }));
  const notes: string[] = [];
  if (late.unmatched > 0) notes.push(`Polling at scale, ${label}: ${late.unmatched} polls arrived with no due time seen in the schedule before them`);
  // Dues still waiting at the window's end are not failures (most fell due in its last tick); they count in
  // the lateness by how long they had waited, and show in their own column.
  return { arms, notes };
}

function rows(jobs: number, intervalMs: number, one: ArmResult[], two: ArmResult[]): SummaryRow[] {
  const [all1, a1] = [one[0]!.median, one[1]!.median];
  const [all2, a2, b2] = [two[0]!.median, two[1]!.median, two[2]!.median];
  const n = fmt.int(jobs);
  const ms = (v?: number) => show(v, fmt.ms);
  const shares = [a2.share, b2.share];
  const split = shares.every((s) => s !== undefined) ? Math.max(...shares.map((s) => Math.abs(s! - 0.5))) : undefined;
  return [
    {
      scenario: 'Polling at scale',
      metric: `Poll lateness vs due time, ${n} jobs due every ${intervalMs / 1000} s, one instance`,
      measured: `p99 ${ms(all1.p99LateMs)} (p50 ${ms(all1.p50LateMs)}, max ${ms(all1.maxLateMs)}; ${fmt.int(all1.pollsPerS ?? 0)} polls/s)`,
      target: `p99 ≤ ${SCALE_TARGETS.p99LateMs / 1000} s`,
      met: all1.p99LateMs === undefined || !Number.isFinite(all1.p99LateMs) ? undefined : all1.p99LateMs <= SCALE_TARGETS.p99LateMs,
      value: all1.p99LateMs,
    },
    {
      scenario: 'Polling at scale',
      metric: 'Reelay CPU, one instance',
      measured: `${show(a1.cpuShare, fmt.pct)} of one core (${show(a1.cpuUsPerPoll, fmt.us)} per poll)`,
      target: `≤ ${fmt.pct(SCALE_TARGETS.cpuShare)} of one core`,
      met: a1.cpuShare === undefined ? undefined : a1.cpuShare <= SCALE_TARGETS.cpuShare,
      value: a1.cpuShare,
    },
    {
      scenario: 'Polling at scale',
      metric: 'Reelay peak RSS, one instance',
      measured: show(a1.peakRssMb, fmt.mb),
      target: `≤ ${SCALE_TARGETS.rssMb} MB`,
      met: a1.peakRssMb === undefined ? undefined : a1.peakRssMb <= SCALE_TARGETS.rssMb,
      value: a1.peakRssMb,
    },
    {
      scenario: 'Polling at scale',
      metric: `Two instances on the same ${n} jobs: split`,
      measured: `${fmt.int(a2.polls ?? 0)} vs ${fmt.int(b2.polls ?? 0)} polls = ${show(a2.share, fmt.pct)} / ${show(b2.share, fmt.pct)} (CPU ${show(a2.cpuShare, fmt.pct)} + ${show(b2.cpuShare, fmt.pct)}; lateness p99 ${ms(all2.p99LateMs)})`,
      target: `each ${fmt.pct(0.5 - SCALE_TARGETS.splitWithin)}–${fmt.pct(0.5 + SCALE_TARGETS.splitWithin)}`,
      met: split === undefined ? undefined : split <= SCALE_TARGETS.splitWithin,
      value: split,
    },
    {
      scenario: 'Polling at scale',
      metric: `Two instances: jobs polled twice within ${MIN_INTERVAL_MS} ms (poll.min_interval_ms)`,
      measured: `${fmt.int(all2.doublePolls ?? 0)} (closest two polls of one job: ${ms(all2.closestMs)})`,
      target: 'none',
      met: all2.doublePolls === 0,
      value: all2.doublePolls,
    },
  ];
}

function describe(m: Metrics): string {
  const parts: string[] = [];
  if (m.polls !== undefined) parts.push(`${fmt.int(m.polls)} polls`);
  if (m.p99LateMs !== undefined) parts.push(`lateness p50 ${show(m.p50LateMs, fmt.ms)} p99 ${show(m.p99LateMs, fmt.ms)}`);
  if (m.cpuShare !== undefined) parts.push(`CPU ${fmt.pct(m.cpuShare)}`);
  if (m.peakRssMb !== undefined) parts.push(`RSS ${fmt.mb(m.peakRssMb)}`);
  if (m.doublePolls !== undefined) parts.push(`${m.doublePolls} double polls`);
  return parts.join(', ');
}

async function statusCalls(upstream: NodeServer, tag: string): Promise<number[]> {
  const res = await fetch(`${upstream.origin}/__bench/jobs?tag=${encodeURIComponent(tag)}`);
  return ((await res.json()) as { jobs: Array<{ statusCalls: number }> }).jobs.map((j) => j.statusCalls);
}

async function upstreamIdsOf(redis: Redis, prefix: string, ids: readonly string[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(`${prefix}video:{${id}}`, 'rec');
  return ((await pipeline.exec()) ?? []).map(([err, rec], i) => {
    if (err || typeof rec !== 'string') throw new Error(`no record for ${ids[i]}: ${String(err ?? rec)}`);
    return (JSON.parse(rec) as { upstreamId: string }).upstreamId;
  });
}

async function callersOf(upstream: NodeServer): Promise<string[]> {
  const res = await fetch(`${upstream.origin}/__bench/callers`);
  return ((await res.json()) as { callers: string[] }).callers;
}

async function arrivalsOf(upstream: NodeServer, tag: string): Promise<{ callers: string[]; jobs: Map<string, Arrivals> }> {
  const res = await fetch(`${upstream.origin}/__bench/arrivals?tag=${encodeURIComponent(tag)}`);
  const body = (await res.json()) as { callers: string[]; jobs: Record<string, Arrivals> };
  return { callers: body.callers, jobs: new Map(Object.entries(body.jobs)) };
}
