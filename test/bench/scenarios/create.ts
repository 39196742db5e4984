import { alternate, httpArm, sequentialArm, type Arm } from '../lib/compare.js';
import type { BenchEnv } from '../lib/env.js';
import type { Preset } from '../lib/presets.js';
import { fmt, paired, type ArmResult, type Phase, type ScenarioResult, type SummaryRow } from '../lib/types.js';
import { arm, compareRows, div, failureNotes, HTTP_COLUMNS, show, spec, sub, voidIfFailed } from './common.js';

/**
 * 2. Create. POST /v1/videos exactly as the official SDK sends it (multipart,
 * its headers) through Reelay to the fake upstream, against the same bytes
 * sent directly to the fake upstream (the floor of the round trip) and
 * through a minimal Fastify + undici.request pass-through (the Node floor of
 * a gateway). A Reelay on the memory store is a diagnostic arm: the
 * difference is what persisting the job in Redis costs.
 *
 * At 1 connection every arm runs through the sequential keep-alive loop
 * (lib/sequential.ts), timed per request at microsecond resolution: that is
 * where the added-latency and CPU targets are judged. At more connections
 * autocannon drives it and the rows are diagnostic.
 *
 * Both Reelays defer their first background poll by an hour, so the
 * thousands of jobs created here are never polled while anything is
 * measured; polling has its own scenarios.
 */

export const CREATE_POLL = { initial_ms: 3_600_000, max_ms: 3_600_000 };

/** Issue 12's targets at 1 connection: added p50 over the direct call, CPU against the pass-through. */
export const CREATE_TARGETS = { addedP50Ms: 0.3, cpu: 4 };

export async function create(env: BenchEnv, preset: Preset, log: (l: string) => void): Promise<ScenarioResult> {
  const [reelay, memory, pass, alt] = await Promise.all([
    env.startReelay({ name: 'create-reelay', poll: CREATE_POLL }),
    env.startReelay({ name: 'create-reelay-memory', store: 'memory', poll: CREATE_POLL }),
    env.startServer('create-passthrough', 'test/bench/servers/passthrough.ts', { UPSTREAM: env.upstream.origin }),
    env.compareEntry ? env.startReelay({ name: 'create-reelay-compare', entry: env.compareEntry, poll: CREATE_POLL }) : undefined,
  ]);
  try {
    const headers = env.authHeaders({ 'content-type': env.sdk.createContentType });
    const body = env.sdk.createBody;
    // The SDK's bytes must be a create every arm accepts, or the comparison is void.
    for (const origin of [reelay.origin, memory.origin, pass.origin, env.directUpstream.origin, ...(alt ? [alt.origin] : [])]) {
      const res = await fetch(`${origin}/v1/videos`, { method: 'POST', headers, body });
      const text = await res.text();
      if (res.status !== 200 || !text.includes('"id"')) throw new Error(`create through ${origin} answered ${res.status}: ${text}`);
    }

    const phases: Phase[] = [];
    const rows: SummaryRow[] = [];
    const notes: string[] = [];
    for (const connections of preset.create.concurrency) {
      const label = `${connections} connection${connections === 1 ? '' : 's'}`;
      const sequential = connections === 1;
      const make = (o: { id: string; label: string; diagnostic?: boolean; pid: number; origin: string }): Arm =>
        sequential
          ? sequentialArm({ ...o, spec: { origin: o.origin, path: '/v1/videos', method: 'POST', headers, body }, amount: preset.create.run, warm: preset.create.warm })
          : httpArm({
              ...o,
              spec: spec({ url: `${o.origin}/v1/videos`, method: 'POST', headers, body, connections }, preset.create.run),
              warm: spec({ url: `${o.origin}/v1/videos`, method: 'POST', headers, body, connections }, preset.create.warm),
            });
      log(`  ${label}${sequential ? ' (sequential loop)' : ''}`);
      const arms = await alternate(
        [
          make({ id: 'reelay', label: 'Reelay (Redis store)', pid: reelay.pid, origin: reelay.origin }),
          make({ id: 'passthrough', label: 'Fastify + undici pass-through', pid: pass.pid, origin: pass.origin }),
          make({ id: 'direct', label: 'fake upstream, direct', pid: env.directUpstream.pid, origin: env.directUpstream.origin }),
          make({ id: 'reelay-memory', label: 'Reelay, memory store (diagnostic)', diagnostic: true, pid: memory.pid, origin: memory.origin }),
          ...(alt ? [make({ id: 'reelay-compare', label: 'Reelay, --compare-entry build', diagnostic: true, pid: alt.pid, origin: alt.origin })] : []),
        ],
        preset.iterations,
        log,
      );
      phases.push({ label, columns: HTTP_COLUMNS, arms });
      rows.push(...summarise(arms, label, sequential));
      if (alt) rows.push(...compareRows('Create', [{ label, a: arm(arms, 'reelay'), b: arm(arms, 'reelay-compare') }]));
      notes.push(...failureNotes('Create', label, arms));
    }
    return { name: 'create', title: 'Create', phases, summary: rows, notes };
  } finally {
    await Promise.all([reelay.stop(), memory.stop(), pass.stop(), alt?.stop()]);
  }
}

function summarise(arms: ArmResult[], label: string, judged: boolean): SummaryRow[] {
  const [R, P, D, M] = [arm(arms, 'reelay'), arm(arms, 'passthrough'), arm(arms, 'direct'), arm(arms, 'reelay-memory')];
  const added = (x: ArmResult, k: 'p50Ms' | 'p99Ms') => paired(x, D, (a, b) => sub(a[k], b[k]));
  const [r50, r99, p50, p99] = [added(R, 'p50Ms'), added(R, 'p99Ms'), added(P, 'p50Ms'), added(P, 'p99Ms')];
  const cpuRatio = paired(R, P, (a, b) => div(a.cpuUsPerReq, b.cpuUsPerReq));
  const redisCpu = paired(R, M, (a, b) => sub(a.cpuUsPerReq, b.cpuUsPerReq));
  const redisP50 = paired(R, M, (a, b) => sub(a.p50Ms, b.p50Ms));
  const sms = (v?: number) => show(v, fmt.signedMs);
  const us = (v?: number) => show(v, fmt.us);
  const diag = judged ? '' : ' (diagnostic)';
  return [
    voidIfFailed(
      {
        scenario: 'Create',
        metric: `Added p50 / p99, ${label}${diag}`,
        measured: `${show(r50, fmt.signedMs)} / ${sms(r99)} over direct ${show(D.median.p50Ms, fmt.ms)} / ${show(D.median.p99Ms, fmt.ms)} (pass-through ${sms(p50)} / ${sms(p99)})`,
        target: judged ? `added p50 ≤ ${CREATE_TARGETS.addedP50Ms} ms` : '—',
        met: judged && r50 !== undefined ? r50 <= CREATE_TARGETS.addedP50Ms : undefined,
        value: r50,
      },
      [R, D],
    ),
    voidIfFailed(
      {
        scenario: 'Create',
        metric: `CPU per create, ${label}${diag}`,
        measured: `${us(R.median.cpuUsPerReq)} vs pass-through ${us(P.median.cpuUsPerReq)} = ${show(cpuRatio, fmt.ratio)} (direct upstream ${us(D.median.cpuUsPerReq)})`,
        target: judged ? `≤ ${CREATE_TARGETS.cpu}× pass-through` : '—',
        met: judged && cpuRatio !== undefined ? cpuRatio <= CREATE_TARGETS.cpu : undefined,
        value: cpuRatio,
      },
      [R, P],
    ),
    {
      scenario: 'Create',
      metric: `of which the Redis store, ${label} (diagnostic)`,
      measured: `${us(redisCpu)} CPU and ${sms(redisP50)} p50 per request (Redis vs memory store)`,
      target: '—',
      met: undefined,
      value: redisCpu,
    },
  ];
}
