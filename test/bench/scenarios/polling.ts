import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'undici';
import { createVideo, type BenchEnv } from '../lib/env.js';
import type { Preset } from '../lib/presets.js';
import { processCpuUs } from '../lib/proc.js';
import { fmt, type ArmResult, type Column, type Metrics, type ScenarioResult, type SummaryRow } from '../lib/types.js';

/**
 * 4. Polling fan-in. N clients (1, 10, 100), each polling the same M
 * in-progress jobs through GET /v1/videos/{id} every 200 ms for 20 s. The
 * fake upstream counts its status calls per job; what the provider sees must
 * not grow with N and must stay within 60000 / poll.min_interval_ms calls per
 * job per minute. Each N gets fresh jobs, so every N starts from the same
 * point of the poller's back-off. Counting is deterministic enough that one
 * pass per N is the measurement (no A/B alternation).
 */

export const MIN_INTERVAL_MS = 1000;

const COLUMNS: Column[] = [
  { key: 'callsPerJobMin', label: 'upstream calls/job/min (mean)', format: fmt.rate },
  { key: 'callsPerJobMinMax', label: '(max job)', format: fmt.rate },
  { key: 'clientRps', label: 'client polls/s', format: fmt.int },
  { key: 'cpuUsPerPoll', label: 'Reelay CPU/poll', format: fmt.us },
  { key: 'failures', label: 'failed polls', format: fmt.int },
];

interface JobStats {
  jobs: Array<{ id: string; statusCalls: number }>;
}

async function upstreamCalls(env: BenchEnv, tag: string): Promise<Map<string, number>> {
  const res = await fetch(`${env.upstream.origin}/__bench/jobs?tag=${encodeURIComponent(tag)}`);
  const body = (await res.json()) as JobStats;
  return new Map(body.jobs.map((j) => [j.id, j.statusCalls]));
}

export async function polling(env: BenchEnv, preset: Preset, log: (l: string) => void): Promise<ScenarioResult> {
  const { clients: ns, jobs: m, everyMs, windowS } = preset.polling;
  const reelay = await env.startReelay({ name: 'polling-reelay', poll: { min_interval_ms: MIN_INTERVAL_MS } });
  const limit = 60_000 / MIN_INTERVAL_MS;
  try {
    const arms: ArmResult[] = [];
    for (const n of ns) {
      const tag = `poll${n}-${randomBytes(3).toString('hex')}`;
      const ids: string[] = [];
      for (let j = 0; j < m; j++) ids.push((await createVideo(env, reelay, `#tag=${tag} #ms=3600000 job ${j}`)).id);
      const before = await upstreamCalls(env, tag);
      if (before.size !== m) throw new Error(`the fake upstream knows ${before.size} jobs tagged ${tag}, expected ${m}`);
      const cpu0 = processCpuUs(reelay.pid);
      const client = await pollFor(reelay.origin, env.authHeaders(), ids, n, everyMs, windowS);
      const cpu1 = processCpuUs(reelay.pid);
      const after = await upstreamCalls(env, tag);
      const perMin = [...after].map(([id, calls]) => ((calls - (before.get(id) ?? 0)) / client.elapsedS) * 60);
      const metrics: Metrics = {
        callsPerJobMin: perMin.reduce((a, b) => a + b, 0) / perMin.length,
        callsPerJobMinMax: Math.max(...perMin),
        clientRps: client.requests / client.elapsedS,
        cpuUsPerPoll: cpu0 !== undefined && cpu1 !== undefined && client.requests > 0 ? (cpu1 - cpu0) / client.requests : undefined,
        failures: client.failures,
        skippedTicks: client.skipped,
      };
      log(`    ${`${n} client${n === 1 ? '' : 's'} × ${m} jobs`.padEnd(34)} ${metrics.callsPerJobMin!.toFixed(1)} upstream calls/job/min (max ${metrics.callsPerJobMinMax!.toFixed(1)}), ${Math.round(metrics.clientRps!)} polls/s, ${client.failures} failed`);
      arms.push({ id: `n${n}`, label: `${n} client${n === 1 ? '' : 's'} × ${m} jobs`, runs: [metrics], median: metrics });
    }

    const values = arms.map((a) => a.median.callsPerJobMin ?? Number.NaN);
    const lo = Math.min(...values);
    const hi = values.at(-1)!;
    // One extra call per job inside the window is jitter, not growth.
    const flat = hi <= lo * 1.2 + 60 / windowS;
    const rows: SummaryRow[] = arms.map((a, i) => ({
      scenario: 'Polling fan-in',
      metric: `Upstream status calls per job per minute, N = ${ns[i]}`,
      measured: `${fmt.rate(a.median.callsPerJobMin!)} (max job ${fmt.rate(a.median.callsPerJobMinMax!)}; ${fmt.int(a.median.clientRps!)} client polls/s)`,
      target: `≤ ${limit} (60000 / min_interval_ms)`,
      met: a.median.callsPerJobMin! <= limit,
      value: a.median.callsPerJobMin,
    }));
    rows.push({
      scenario: 'Polling fan-in',
      metric: `Flat in N (N = ${ns.at(-1)} vs N = ${ns[0]})`,
      measured: `${fmt.rate(hi)} vs ${fmt.rate(values[0]!)} calls/job/min`,
      target: 'does not grow with N',
      met: flat,
      value: hi / (values[0]! || Number.NaN),
    });
    const failed = arms.filter((a) => (a.median.failures ?? 0) > 0);
    return {
      name: 'polling',
      title: 'Polling fan-in',
      phases: [{ label: `${m} jobs, every ${everyMs} ms for ${windowS} s`, columns: COLUMNS, arms }],
      summary: rows,
      notes: failed.map((a) => `Polling fan-in: ${a.label} had ${a.median.failures} failed polls`),
    };
  } finally {
    await reelay.stop();
  }
}

/** n clients, each on its own keep-alive connection, polling every id every `everyMs`. */
async function pollFor(origin: string, headers: Record<string, string>, ids: string[], n: number, everyMs: number, windowS: number) {
  const clients = Array.from({ length: n }, () => new Client(origin, { pipelining: 1, keepAliveTimeout: 30_000 }));
  let requests = 0;
  let failures = 0;
  let skipped = 0;
  const inFlight = new Set<Promise<void>>();
  const poll = async (client: Client, id: string) => {
    try {
      const res = await client.request({ method: 'GET', path: `/v1/videos/${id}`, headers });
      await res.body.dump();
      if (res.statusCode !== 200) failures++;
    } catch {
      failures++;
    }
    requests++;
  };
  const timers: NodeJS.Timeout[] = [];
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + windowS * 1000;
  clients.forEach((client, i) => {
    let busy = false;
    const tick = () => {
      if (Date.now() >= deadline) return;
      if (busy) return void skipped++;
      busy = true;
      const p = Promise.all(ids.map((id) => poll(client, id))).then(() => {
        busy = false;
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    // Spread the clients over the interval, as independent pollers would be.
    const start = setTimeout(() => {
      tick();
      timers.push(setInterval(tick, everyMs));
    }, (everyMs * i) / n);
    timers.push(start);
  });
  await delay(windowS * 1000);
  for (const t of timers) clearTimeout(t);
  await Promise.all(inFlight);
  const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(clients.map((c) => c.close()));
  return { requests, failures, skipped, elapsedS };
}
