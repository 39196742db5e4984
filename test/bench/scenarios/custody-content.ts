import { statSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { join } from 'node:path';
import { alternate, type Arm } from '../lib/compare.js';
import { measureDownloads, type DownloadTarget } from '../lib/download.js';
import { createVideo, type BenchEnv } from '../lib/env.js';
import type { Preset } from '../lib/presets.js';
import type { NodeServer } from '../lib/spawn.js';
import { benchRedis, waitFor } from '../lib/redis.js';
import { fmt, paired, type ArmResult, type Column, type ScenarioResult, type SummaryRow } from '../lib/types.js';
import { arm, failedRequests, failureNotes, show, voidIfFailed } from './common.js';

/**
 * 3b. Content from custody. A Reelay with `storage.type: fs` keeps its own
 * copy of a completed video; /content then serves that file (validators,
 * ranges) instead of the provider's. Compared with a bare Fastify route
 * answering `fs.createReadStream` of the very file custody stored
 * (servers/fastify-file.ts), one stream at a time and several in parallel,
 * then Reelay alone under `content.concurrent` downloads at once (100 of the
 * 100 MB file in the full run): its RSS must stay flat, since a server that
 * buffered would grow by gigabytes there.
 */

export const CUSTODY_TARGETS = { throughput: 0.9, rssGrowthMb: 100 };

const COLUMNS: Column[] = [
  { key: 'mbps', label: 'throughput', format: fmt.mbps },
  { key: 'rssGrowthMb', label: 'peak RSS growth', format: fmt.mb },
  { key: 'peakRssMb', label: 'peak RSS', format: fmt.mb },
  { key: 'cpuMsPer100Mb', label: 'server CPU per 100 MB', format: (v) => `${v.toFixed(1)} ms` },
  { key: 'loadCoreBusy', label: 'load core busy', format: fmt.pct },
  { key: 'failures', label: 'failures', format: fmt.int },
];

export async function custodyContent(env: BenchEnv, preset: Preset, log: (l: string) => void): Promise<ScenarioResult> {
  const storageDir = join(env.dir, 'custody');
  const reelay = await env.startReelay({ name: 'custody-reelay', storageDir });
  let redis: Redis | undefined;
  let floor: NodeServer | undefined;
  try {
    redis = await benchRedis(env.redis.url);
    const store = redis;
    const job = await createVideo(env, reelay, '#done #tag=custody A calico cat playing a piano on stage');
    if (job.status !== 'completed') throw new Error(`custody job is ${job.status}, expected completed at once`);
    // The copy is made in the background (the custody outbox handler); its entry in the record is the commit.
    await waitFor(
      'custody to store the video',
      async () => {
        const entry = await store.hget(`${reelay.prefix}video:{${job.id}}`, 'c:video');
        return entry && (JSON.parse(entry) as { status?: string }).status === 'stored' ? true : undefined;
      },
      120_000,
    );
    const file = join(storageDir, job.id, 'video');
    if (statSync(file).size !== env.contentBytes) throw new Error(`custody stored ${statSync(file).size} bytes, expected ${env.contentBytes}`);
    floor = await env.startServer('custody-fastify-file', 'test/bench/servers/fastify-file.ts', { FILE: file });

    const headers = env.authHeaders({ accept: 'application/binary' });
    const targets: Array<DownloadTarget & { id: string; label: string }> = [
      { id: 'reelay', label: 'Reelay, from custody (fs)', pid: reelay.pid, url: `${reelay.origin}/v1/videos/${job.id}/content`, headers },
      { id: 'floor', label: 'bare Fastify fs.createReadStream', pid: floor.pid, url: `${floor.origin}/file`, headers },
    ];
    const etag = await fetch(targets[0]!.url, { headers: { ...headers, range: 'bytes=0-0' } }).then(async (res) => {
      await res.arrayBuffer();
      return res.headers.get('etag');
    });
    if (!etag) throw new Error('a download from custody carries no ETag: Reelay is not serving its stored copy');

    const { sequential, parallel, concurrent } = preset.content;
    const loadCore = env.cpus.load;
    const opts = (count: number, par: number) => ({ bytes: env.contentBytes, count, parallel: par, loadCore });
    const results: Array<{ label: string; arms: ArmResult[] }> = [];
    for (const phase of [
      { label: '1 stream', count: sequential, parallel: 1 },
      { label: `${parallel} parallel streams`, count: parallel, parallel },
    ]) {
      log(`  ${phase.label}`);
      const arms: Arm[] = targets.map((t) => ({
        id: t.id,
        label: t.label,
        run: (warm) => measureDownloads(t, warm ? opts(1, 1) : opts(phase.count, phase.parallel)),
      }));
      results.push({ label: phase.label, arms: await alternate(arms, preset.iterations, log) });
    }
    // Once, Reelay only: the question is whether memory grows with concurrency, not how fast.
    const crowdLabel = `${concurrent} concurrent downloads`;
    log(`  ${crowdLabel}`);
    const crowd = await alternate(
      [{ id: 'reelay', label: targets[0]!.label, run: (warm) => measureDownloads(targets[0]!, warm ? opts(1, 1) : opts(concurrent, concurrent)) }],
      1,
      log,
    );
    results.push({ label: crowdLabel, arms: crowd });

    const rows: SummaryRow[] = results.slice(0, 2).map((r) => {
      const [R, F] = [arm(r.arms, 'reelay'), arm(r.arms, 'floor')];
      const ratio = paired(R, F, (a, b) => (a.mbps !== undefined && b.mbps ? a.mbps / b.mbps : undefined));
      return voidIfFailed(
        {
          scenario: 'Content',
          metric: `Serving from custody (fs), ${r.label}`,
          measured: `${show(R.median.mbps, fmt.mbps)} vs bare Fastify createReadStream ${show(F.median.mbps, fmt.mbps)} = ${show(ratio, fmt.ratio)} (CPU per 100 MB ${show(R.median.cpuMsPer100Mb, (v) => v.toFixed(1))} vs ${show(F.median.cpuMsPer100Mb, (v) => `${v.toFixed(1)} ms`)})`,
          target: `≥ ${CUSTODY_TARGETS.throughput}× bare Fastify createReadStream`,
          met: ratio === undefined ? undefined : ratio >= CUSTODY_TARGETS.throughput,
          value: ratio,
        },
        [R, F],
      );
    });
    const C = arm(crowd, 'reelay');
    const growth = C.median.rssGrowthMb;
    const mb = env.contentBytes / (1024 * 1024);
    rows.push(
      voidIfFailed(
        {
          scenario: 'Content',
          metric: `Reelay peak RSS growth, ${concurrent} concurrent ${Math.round(mb)} MB downloads from custody`,
          measured: `${show(growth, fmt.mb)} (peak RSS ${show(C.median.peakRssMb, fmt.mb)}; ${show(C.median.mbps, fmt.mbps)} in all; ${failedRequests(C)} failed)`,
          target: `≤ ${CUSTODY_TARGETS.rssGrowthMb} MB`,
          met: growth === undefined ? undefined : growth <= CUSTODY_TARGETS.rssGrowthMb,
          value: growth,
        },
        [C],
      ),
    );
    return {
      name: 'custody-content',
      title: 'Content from custody',
      phases: results.map((r) => ({ label: r.label, columns: COLUMNS, arms: r.arms })),
      summary: rows,
      notes: results.flatMap((r) => failureNotes('Content from custody', r.label, r.arms)),
    };
  } finally {
    redis?.disconnect();
    await Promise.all([reelay.stop(), floor?.stop()]);
  }
}
