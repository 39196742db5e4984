import { alternate, httpArm, sequentialArm } from '../lib/compare.js';
import { createVideo, type BenchEnv } from '../lib/env.js';
import type { Preset } from '../lib/presets.js';
import { fmt, paired, type ScenarioResult } from '../lib/types.js';
import { arm, compareRows, div, failureNotes, HTTP_COLUMNS, show, spec, sub, voidIfFailed } from './common.js';

/**
 * 1. Cached status. GET /v1/videos/{id} through Reelay with the Redis store,
 * for a completed video (as issue 12 measures it: no upstream call on the
 * request path), against a bare Fastify route answering the same JSON from
 * memory (the floor both targets are judged against), with Fastify's hello
 * world for reference. A second Reelay at LOG_LEVEL=warn is a diagnostic arm:
 * the difference is what request logging costs; a third diagnostic arm reads
 * an in-progress job on a Reelay of its own (never from the status cache: a
 * store round trip, and the inline refresh's lease attempt once the record is
 * older than poll.stale_ms). The key's poll_rpm is out of
 * reach and any non-2xx voids the verdict: a 429 answered fast measures the
 * limiter, not the gateway. 50 connections through autocannon for throughput
 * and CPU; 1 connection through the sequential loop for latency.
 */

/** Issue 12's targets against the bare Fastify route, at 50 connections. */
export const STATUS_TARGETS = { throughput: 0.6, cpu: 1.8 };

export const STATUS_PROMPT = '#tag=status #ms=3600000 A calico cat playing a piano on stage';
const DONE_PROMPT = '#tag=status #done A calico cat playing a piano on stage';

/** A video the fake upstream finishes at once, once Reelay's poller has seen it finish. */
export async function completedVideo(env: BenchEnv, reelay: Parameters<typeof createVideo>[1]): Promise<{ id: string }> {
  const { id } = await createVideo(env, reelay, DONE_PROMPT);
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${reelay.origin}/v1/videos/${id}`, { headers: env.authHeaders() });
    const video = (await res.json()) as { status: string };
    if (video.status === 'completed') return { id };
    if (video.status === 'failed') throw new Error(`bench video ${id} failed`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bench video ${id} did not complete within 60 s`);
}

export async function cachedStatus(env: BenchEnv, preset: Preset, log: (l: string) => void): Promise<ScenarioResult> {
  const [reelay, quiet, progress, alt] = await Promise.all([
    env.startReelay({ name: 'status-reelay' }),
    env.startReelay({ name: 'status-reelay-warn', logLevel: 'warn' }),
    // Its own process: load on an in-progress job leaves a process slower for a while, which would tilt the main arm.
    env.startReelay({ name: 'status-reelay-progress' }),
    env.compareEntry ? env.startReelay({ name: 'status-reelay-compare', entry: env.compareEntry }) : undefined,
  ]);
  try {
    const [job, quietJob, altJob, progressJob] = await Promise.all([
      completedVideo(env, reelay),
      completedVideo(env, quiet),
      alt ? completedVideo(env, alt) : undefined,
      createVideo(env, progress, STATUS_PROMPT),
    ]);
    const headers = env.authHeaders();
    const first = await fetch(`${reelay.origin}/v1/videos/${job.id}`, { headers });
    const body = await first.text();
    if (first.status !== 200) throw new Error(`GET through Reelay answered ${first.status}: ${body}`);
    const floor = await env.startServer('status-fastify', 'test/bench/servers/fastify-baseline.ts', { VIDEO_JSON: body });
    try {
      const p = preset.status;
      const c = p.throughputConnections;
      const target = (origin: string, path: string) => ({
        reelay: spec({ url: `${origin}${path}`, headers, connections: c }, p.throughput),
        warm: spec({ url: `${origin}${path}`, headers, connections: c }, p.warm),
        latency: { origin, path, headers },
      });
      const r = target(reelay.origin, `/v1/videos/${job.id}`);
      const q = target(quiet.origin, `/v1/videos/${quietJob.id}`);
      const g = target(progress.origin, `/v1/videos/${progressJob.id}`);
      const f = target(floor.origin, `/v1/videos/${job.id}`);
      const h = target(floor.origin, '/hello');
      const a = alt && altJob ? target(alt.origin, `/v1/videos/${altJob.id}`) : undefined;
      const altLabel = 'Reelay, --compare-entry build';
      const seq = { amount: p.latency, warm: p.warm };

      log(`  throughput, ${c} connections`);
      const tput = await alternate(
        [
          httpArm({ id: 'reelay', label: 'Reelay (Redis store)', pid: reelay.pid, spec: r.reelay, warm: r.warm }),
          httpArm({ id: 'route', label: 'bare Fastify route', pid: floor.pid, spec: f.reelay, warm: f.warm }),
          httpArm({ id: 'hello', label: 'Fastify hello (reference)', diagnostic: true, pid: floor.pid, spec: h.reelay, warm: h.warm }),
          httpArm({ id: 'reelay-warn', label: 'Reelay, LOG_LEVEL=warn (diagnostic)', diagnostic: true, pid: quiet.pid, spec: q.reelay, warm: q.warm }),
          httpArm({ id: 'reelay-progress', label: 'Reelay, in-progress job (diagnostic)', diagnostic: true, pid: progress.pid, spec: g.reelay, warm: g.warm }),
          ...(alt && a ? [httpArm({ id: 'reelay-compare', label: altLabel, diagnostic: true, pid: alt.pid, spec: a.reelay, warm: a.warm })] : []),
        ],
        preset.iterations,
        log,
      );
      log('  latency, 1 connection (sequential loop)');
      const lat = await alternate(
        [
          sequentialArm({ id: 'reelay', label: 'Reelay (Redis store)', pid: reelay.pid, spec: r.latency, ...seq }),
          sequentialArm({ id: 'route', label: 'bare Fastify route', pid: floor.pid, spec: f.latency, ...seq }),
          ...(alt && a ? [sequentialArm({ id: 'reelay-compare', label: altLabel, diagnostic: true, pid: alt.pid, spec: a.latency, ...seq })] : []),
        ],
        preset.iterations,
        log,
      );

      const [R, F, H, Q, G] = [arm(tput, 'reelay'), arm(tput, 'route'), arm(tput, 'hello'), arm(tput, 'reelay-warn'), arm(tput, 'reelay-progress')];
      const [R1, F1] = [arm(lat, 'reelay'), arm(lat, 'route')];
      const cpuRatio = paired(R, F, (a, b) => div(a.cpuUsPerReq, b.cpuUsPerReq));
      const tputRatio = paired(R, F, (a, b) => div(a.rps, b.rps));
      const addedP50 = paired(R1, F1, (a, b) => sub(a.p50Ms, b.p50Ms));
      const addedP99 = paired(R1, F1, (a, b) => sub(a.p99Ms, b.p99Ms));
      const logCost = paired(R, Q, (a, b) => sub(a.cpuUsPerReq, b.cpuUsPerReq));
      const progressCpu = paired(G, F, (a, b) => div(a.cpuUsPerReq, b.cpuUsPerReq));
      // One core of autocannon cannot saturate a 40 µs server. When the load generator's core is
      // the bottleneck and the floor's is not, the measured ratio compares load generators, not
      // servers; then the verdict uses the throughput each server would reach on its whole core.
      const loadBound = (F.median.loadCoreBusy ?? 0) >= 0.9 && (F.median.serverCpu ?? 1) < 0.8;
      const capacity = (x: typeof R) => (x.median.cpuUsPerReq ? 1e6 / x.median.cpuUsPerReq : undefined);
      const capacityRatio = paired(R, F, (a, b) => div(b.cpuUsPerReq, a.cpuUsPerReq));
      const verdict = loadBound ? capacityRatio : tputRatio;

      const us = (v?: number) => show(v, fmt.us);
      const ms = (v?: number) => show(v, fmt.ms);
      return {
        name: 'cached-status',
        title: 'Cached status',
        phases: [
          { label: `${c} connections`, columns: HTTP_COLUMNS, arms: tput },
          { label: '1 connection', columns: HTTP_COLUMNS, arms: lat },
        ],
        summary: [
          voidIfFailed(
            {
              scenario: 'Cached status',
              metric: `Throughput, ${c} connections`,
              measured: loadBound
                ? `${show(R.median.rps, fmt.int)} vs bare route ${show(F.median.rps, fmt.int)} req/s = ${show(tputRatio, fmt.ratio)} measured, but the load generator's core was saturated while the bare route used ${show(F.median.serverCpu, fmt.pct)} of its own; server-bound (1 / CPU per request): ${show(capacity(R), fmt.int)} vs ${show(capacity(F), fmt.int)} req/s = ${show(capacityRatio, fmt.ratio)}`
                : `${show(R.median.rps, fmt.int)} vs bare route ${show(F.median.rps, fmt.int)} req/s = ${show(tputRatio, fmt.ratio)}`,
              target: `≥ ${STATUS_TARGETS.throughput}× bare Fastify route`,
              met: verdict === undefined ? undefined : verdict >= STATUS_TARGETS.throughput,
              value: verdict,
            },
            [R, F],
          ),
          voidIfFailed(
            {
              scenario: 'Cached status',
              metric: `CPU per request, ${c} connections`,
              measured: `${us(R.median.cpuUsPerReq)} vs bare route ${us(F.median.cpuUsPerReq)} = ${show(cpuRatio, fmt.ratio)} (Fastify hello ${us(H.median.cpuUsPerReq)})`,
              target: `≤ ${STATUS_TARGETS.cpu}× bare Fastify route`,
              met: cpuRatio === undefined ? undefined : cpuRatio <= STATUS_TARGETS.cpu,
              value: cpuRatio,
            },
            [R, F],
          ),
          {
            scenario: 'Cached status',
            metric: `p50 / p99, ${c} connections`,
            measured: `${ms(R.median.p50Ms)} / ${ms(R.median.p99Ms)} (bare route ${ms(F.median.p50Ms)} / ${ms(F.median.p99Ms)})`,
            target: '—',
            met: undefined,
          },
          {
            scenario: 'Cached status',
            metric: 'p50 / p99, 1 connection',
            measured: `${ms(R1.median.p50Ms)} / ${ms(R1.median.p99Ms)} (bare route ${ms(F1.median.p50Ms)} / ${ms(F1.median.p99Ms)}; added ${show(addedP50, fmt.signedMs)} / ${show(addedP99, fmt.signedMs)})`,
            target: '—',
            met: undefined,
            value: addedP50,
          },
          {
            scenario: 'Cached status',
            metric: 'of which request logging (diagnostic)',
            measured: `${us(logCost)} CPU per request (LOG_LEVEL=info vs warn)`,
            target: '—',
            met: undefined,
            value: logCost,
          },
          {
            scenario: 'Cached status',
            metric: 'in-progress job (diagnostic)',
            measured: `${show(G.median.rps, fmt.int)} req/s, ${us(G.median.cpuUsPerReq)} CPU per request = ${show(progressCpu, fmt.ratio)} the bare route's (never from the status cache)`,
            target: '—',
            met: undefined,
            value: progressCpu,
          },
          ...(alt ? compareRows('Cached status', [
            { label: `${c} connections`, a: R, b: arm(tput, 'reelay-compare') },
            { label: '1 connection', a: R1, b: arm(lat, 'reelay-compare') },
          ]) : []),
        ],
        notes: [...failureNotes('Cached status', `${c} connections`, tput), ...failureNotes('Cached status', '1 connection', lat)],
      };
    } finally {
      await floor.stop();
    }
  } finally {
    await Promise.all([reelay.stop(), quiet.stop(), progress.stop(), alt?.stop()]);
  }
}
