import { alternate, httpArm } from '../lib/compare.js';
import type { BenchEnv } from '../lib/env.js';
import type { Preset } from '../lib/presets.js';
import { fmt, paired, type ArmResult, type Phase, type ScenarioResult, type SummaryRow } from '../lib/types.js';
import { arm, compareRows, failureNotes, HTTP_COLUMNS, show, spec } from './common.js';

/**
 * 2. Create. POST /v1/videos exactly as the official SDK sends it (multipart,
 * its headers) through Reelay to the fake upstream, against the same bytes
 * sent directly to the fake upstream (the floor of the round trip) and
 * through a minimal Fastify + undici.request pass-through (the Node floor of
 * a gateway). A Reelay on the memory store is a diagnostic arm: the
 * difference is what persisting the job in Redis costs.
 *
 * Both Reelays defer their first background poll by an hour, so the
 * thousands of jobs created here are never polled while anything is
 * measured; polling has its own scenarios.
 */

export const CREATE_POLL = { initial_ms: 3_600_000, max_ms: 3_600_000 };

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
      const target = (origin: string) => ({
        spec: spec({ url: `${origin}/v1/videos`, method: 'POST', headers, body, connections }, preset.create.run),
        warm: spec({ url: `${origin}/v1/videos`, method: 'POST', headers, body, connections }, preset.create.warm),
      });
      const label = `${connections} connection${connections === 1 ? '' : 's'}`;
      log(`  ${label}`);
      const arms = await alternate(
        [
          httpArm({ id: 'reelay', label: 'Reelay (Redis store)', pid: reelay.pid, ...target(reelay.origin) }),
          httpArm({ id: 'passthrough', label: 'Fastify + undici pass-through', pid: pass.pid, ...target(pass.origin) }),
          httpArm({ id: 'direct', label: 'fake upstream, direct', pid: env.directUpstream.pid, ...target(env.directUpstream.origin) }),
          httpArm({ id: 'reelay-memory', label: 'Reelay, memory store (diagnostic)', diagnostic: true, pid: memory.pid, ...target(memory.origin) }),
          ...(alt ? [httpArm({ id: 'reelay-compare', label: 'Reelay, --compare-entry build', diagnostic: true, pid: alt.pid, ...target(alt.origin) })] : []),
        ],
        preset.iterations,
        log,
      );
      phases.push({ label, columns: HTTP_COLUMNS, arms });
      rows.push(...summarise(arms, label, connections === 1));
      if (alt) rows.push(...compareRows('Create', [{ label, a: arm(arms, 'reelay'), b: arm(arms, 'reelay-compare') }]));
      notes.push(...failureNotes('Create', label, arms));
    }
    return { name: 'create', title: 'Create', phases, summary: rows, notes };
  } finally {
    await Promise.all([reelay.stop(), memory.stop(), pass.stop(), alt?.stop()]);
  }
}

function summarise(arms: ArmResult[], label: string, judgeLatency: boolean): SummaryRow[] {
  const [R, P, D, M] = [arm(arms, 'reelay'), arm(arms, 'passthrough'), arm(arms, 'direct'), arm(arms, 'reelay-memory')];
  const sub = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a - b : undefined);
  const div = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  const added = (x: ArmResult, k: 'p50Ms' | 'p99Ms') => paired(x, D, (a, b) => sub(a[k], b[k]));
  const [r50, r99, p50, p99] = [added(R, 'p50Ms'), added(R, 'p99Ms'), added(P, 'p50Ms'), added(P, 'p99Ms')];
  const cpuRatio = paired(R, P, (a, b) => div(a.cpuUsPerReq, b.cpuUsPerReq));
  const redisCpu = paired(R, M, (a, b) => sub(a.cpuUsPerReq, b.cpuUsPerReq));
  const redisP50 = paired(R, M, (a, b) => sub(a.p50Ms, b.p50Ms));
  const sms = (v?: number) => show(v, fmt.signedMs);
  const us = (v?: number) => show(v, fmt.us);
  return [
    {
      scenario: 'Create',
      metric: `Added p50 / p99, ${label}`,
      measured: `${sms(r50)} / ${sms(r99)} over direct ${show(D.median.p50Ms, fmt.ms)} / ${show(D.median.p99Ms, fmt.ms)} (pass-through ${sms(p50)} / ${sms(p99)})`,
      target: judgeLatency ? 'added p50 ≤ 0.3 ms' : '—',
      met: judgeLatency && r50 !== undefined ? r50 <= 0.3 : undefined,
      value: r50,
    },
    {
      scenario: 'Create',
      metric: `CPU per request, ${label}`,
      measured: `${us(R.median.cpuUsPerReq)} vs pass-through ${us(P.median.cpuUsPerReq)} = ${show(cpuRatio, fmt.ratio)} (direct upstream ${us(D.median.cpuUsPerReq)})`,
      target: '≤ 1.5× pass-through',
      met: cpuRatio === undefined ? undefined : cpuRatio <= 1.5,
      value: cpuRatio,
    },
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
