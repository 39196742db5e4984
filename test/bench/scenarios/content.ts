import { alternate, type Arm } from '../lib/compare.js';
import { measureDownloads } from '../lib/download.js';
import { createVideo, type BenchEnv } from '../lib/env.js';
import type { Preset } from '../lib/presets.js';
import { fmt, paired, type ArmResult, type Column, type ScenarioResult, type SummaryRow } from '../lib/types.js';
import { arm, failureNotes, show, voidIfFailed } from './common.js';

/**
 * 3. Content. The same file (100 MB of random bytes in the full run) streamed
 * through Reelay's GET /v1/videos/{id}/content from the fake upstream,
 * against the same fake upstream serving it directly, and through the
 * minimal Fastify + undici pass-through (the Node floor of a streaming
 * gateway). "Direct" is the very upstream Reelay streams from, so both arms
 * ask the same of the load-side core (read the file, receive the bytes) and
 * the only difference is the gateway on its own core. One stream at a time,
 * then several in parallel. Reports throughput and the gateway's peak RSS
 * growth (VmHWM after resetting it, cross-checked by sampling VmRSS).
 */

export const COLUMNS: Column[] = [
  { key: 'mbps', label: 'throughput', format: fmt.mbps },
  { key: 'rssGrowthMb', label: 'peak RSS growth', format: fmt.mb },
  { key: 'cpuMsPer100Mb', label: 'server CPU per 100 MB', format: (v) => `${v.toFixed(1)} ms` },
  { key: 'loadCoreBusy', label: 'load core busy', format: fmt.pct },
  { key: 'failures', label: 'failures', format: fmt.int },
];

export async function content(env: BenchEnv, preset: Preset, log: (l: string) => void): Promise<ScenarioResult> {
  const [reelay, pass] = await Promise.all([
    env.startReelay({ name: 'content-reelay' }),
    env.startServer('content-passthrough', 'test/bench/servers/passthrough.ts', { UPSTREAM: env.upstream.origin }),
  ]);
  try {
    const job = await createVideo(env, reelay, '#done #tag=content A calico cat playing a piano on stage');
    if (job.status !== 'completed') throw new Error(`content job is ${job.status}, expected completed at once`);
    const targets = [
      { id: 'reelay', label: 'Reelay', pid: reelay.pid, url: `${reelay.origin}/v1/videos/${job.id}/content`, headers: env.authHeaders({ accept: 'application/binary' }) },
      { id: 'passthrough', label: 'Fastify + undici pass-through', pid: pass.pid, url: `${pass.origin}/v1/videos/direct/content`, headers: env.authHeaders({ accept: 'application/binary' }) },
      { id: 'direct', label: 'fake upstream, direct', pid: env.upstream.pid, url: `${env.upstream.origin}/v1/videos/direct/content`, headers: env.authHeaders({ accept: 'application/binary' }) },
    ];
    const { sequential, parallel } = preset.content;
    const phases = [
      { label: '1 stream', count: sequential, parallel: 1 },
      { label: `${parallel} parallel streams`, count: parallel, parallel },
    ];
    const results: Array<{ label: string; arms: ArmResult[] }> = [];
    for (const phase of phases) {
      log(`  ${phase.label}`);
      const arms: Arm[] = targets.map((t) => ({
        id: t.id,
        label: t.label,
        run: (warm) =>
          measureDownloads(t, { bytes: env.contentBytes, count: warm ? 1 : phase.count, parallel: warm ? 1 : phase.parallel, loadCore: env.cpus.load }),
      }));
      results.push({ label: phase.label, arms: await alternate(arms, preset.iterations, log) });
    }

    const rows: SummaryRow[] = [];
    let worstRss: number | undefined;
    for (const r of results) {
      const [R, P, D] = [arm(r.arms, 'reelay'), arm(r.arms, 'passthrough'), arm(r.arms, 'direct')];
      const vsDirect = (x: ArmResult) => paired(x, D, (a, b) => (a.mbps !== undefined && b.mbps ? a.mbps / b.mbps : undefined));
      const ratio = vsDirect(R);
      rows.push(
        voidIfFailed(
          {
            scenario: 'Content',
            metric: `Streaming through, ${r.label}`,
            measured: `${show(R.median.mbps, fmt.mbps)} vs direct ${show(D.median.mbps, fmt.mbps)} = ${show(ratio, fmt.ratio)} (pass-through ${show(vsDirect(P), fmt.ratio)})`,
            target: '≥ 0.9× direct',
            met: ratio === undefined ? undefined : ratio >= 0.9,
            value: ratio,
          },
          [R, D],
        ),
      );
      const rss = R.median.rssGrowthMb;
      if (rss !== undefined) worstRss = Math.max(worstRss ?? 0, rss);
    }
    rows.push({
      scenario: 'Content',
      metric: 'Reelay peak RSS growth, streaming through',
      measured: `${results.map((r) => `${show(arm(r.arms, 'reelay').median.rssGrowthMb, fmt.mb)} (${r.label})`).join(', ')}`,
      target: '< 50 MB',
      met: worstRss === undefined ? undefined : worstRss < 50,
      value: worstRss,
    });
    const cpuOf = (r: (typeof results)[number], id: string) => show(arm(r.arms, id).median.cpuMsPer100Mb, (v) => v.toFixed(1));
    const cpu = results.map((r) => `${cpuOf(r, 'reelay')} vs ${cpuOf(r, 'passthrough')} vs ${cpuOf(r, 'direct')} ms (${r.label})`);
    rows.push({ scenario: 'Content', metric: 'CPU per 100 MB: Reelay vs pass-through vs file server', measured: cpu.join(', '), target: '—', met: undefined });
    return {
      name: 'content',
      title: 'Content',
      phases: results.map((r) => ({ label: r.label, columns: COLUMNS, arms: r.arms })),
      summary: rows,
      notes: results.flatMap((r) => failureNotes('Content', r.label, r.arms)),
    };
  } finally {
    await Promise.all([reelay.stop(), pass.stop()]);
  }
}
