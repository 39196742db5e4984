import { runLoad, type LoadSpec, type RunResult } from './load.js';
import type { Amount } from './presets.js';
import { runSequential, type SequentialSpec } from './sequential.js';
import type { ArmResult, Metrics } from './types.js';
import { medianMetrics } from './types.js';

/**
 * The A/B discipline every timed scenario follows: each arm is warmed up, then
 * measured `iterations` times, the order of the arms reversed on every other
 * iteration so that neither always runs first (page cache, CPU boost, a
 * neighbour's noise), and the median of each metric kept.
 */

export interface Arm<T = unknown> {
  id: string;
  label: string;
  diagnostic?: boolean;
  /** Measures once; `warm` runs are discarded. */
  run(warm: boolean): Promise<Metrics>;
  /** Anything the scenario wants to keep beside the arm (e.g. its server). */
  data?: T;
}

export async function alternate(arms: readonly Arm[], iterations: number, log: (line: string) => void): Promise<ArmResult[]> {
  for (const arm of arms) await arm.run(true);
  const runs = new Map<string, Metrics[]>(arms.map((a) => [a.id, []]));
  for (let i = 0; i < iterations; i++) {
    const order = i % 2 === 0 ? arms : [...arms].reverse();
    for (const arm of order) {
      const m = await arm.run(false);
      runs.get(arm.id)!.push(m);
      log(`    ${arm.label.padEnd(34)} run ${i + 1}/${iterations}: ${describe(m)}`);
    }
  }
  return arms.map((a) => {
    const r = runs.get(a.id)!;
    return { id: a.id, label: a.label, ...(a.diagnostic ? { diagnostic: true } : {}), runs: r, median: medianMetrics(r) };
  });
}

function describe(m: Metrics): string {
  const parts: string[] = [];
  if (m.rps !== undefined) parts.push(`${Math.round(m.rps)} req/s`);
  if (m.p50Ms !== undefined) parts.push(`p50 ${m.p50Ms.toFixed(3)} ms`);
  if (m.p99Ms !== undefined) parts.push(`p99 ${m.p99Ms.toFixed(3)} ms`);
  if (m.cpuUsPerReq !== undefined) parts.push(`${m.cpuUsPerReq.toFixed(1)} µs CPU/req`);
  if (m.mbps !== undefined) parts.push(`${Math.round(m.mbps)} MB/s`);
  if (m.rssGrowthMb !== undefined) parts.push(`RSS +${m.rssGrowthMb.toFixed(1)} MB`);
  if (m.failures) parts.push(`${m.failures} failures`);
  return parts.join(', ');
}

/** An HTTP arm: autocannon against `spec`, server CPU read from `pid`. */
export function httpArm(o: { id: string; label: string; diagnostic?: boolean; pid: number; spec: LoadSpec; warm: LoadSpec }): Arm {
  return {
    id: o.id,
    label: o.label,
    ...(o.diagnostic ? { diagnostic: true } : {}),
    async run(warm) {
      const r = await runLoad(warm ? o.warm : o.spec, o.pid);
      return toMetrics(r);
    },
  };
}

/** A 1-connection latency arm: the sequential keep-alive loop (microsecond timing), server CPU read from `pid`. */
export function sequentialArm(o: { id: string; label: string; diagnostic?: boolean; pid: number; spec: SequentialSpec; amount: Amount; warm: Amount }): Arm {
  return {
    id: o.id,
    label: o.label,
    ...(o.diagnostic ? { diagnostic: true } : {}),
    async run(warm) {
      const r = await runSequential(o.spec, warm ? o.warm : o.amount, o.pid);
      // Its failures are non-2xx answers and transport errors alike; they void the arm the same way.
      return toMetrics({ ...r, non2xx: r.failures, errors: 0, timeouts: 0 });
    },
  };
}

type Measured = Pick<RunResult, 'requests' | 'rps' | 'p50Ms' | 'p99Ms' | 'meanMs' | 'cpuUsPerReq' | 'serverCpuShare' | 'coreBusy' | 'loadCpuUsPerReq' | 'non2xx' | 'errors' | 'timeouts'>;

export function toMetrics(r: Measured): Metrics {
  return {
    requests: r.requests,
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    meanMs: r.meanMs,
    cpuUsPerReq: r.cpuUsPerReq,
    serverCpu: r.serverCpuShare,
    loadCoreBusy: loadCore !== undefined && r.coreBusy ? r.coreBusy[loadCore] : undefined,
    loadCpuUsPerReq: r.loadCpuUsPerReq,
    // Whatever else ran on the server's core: other processes on a shared machine.
    otherLoad: sutCore !== undefined && r.coreBusy?.[sutCore] !== undefined && r.serverCpuShare !== undefined ? Math.max(0, r.coreBusy[sutCore]! - r.serverCpuShare) : undefined,
    failures: r.non2xx + r.errors + r.timeouts,
  };
}

let loadCore: number | undefined;
let sutCore: number | undefined;
/** The cores the load generator and the systems under test are pinned to (undefined: not pinned, no column). */
export function setCores(cores: { load: number | undefined; sut: number | undefined }): void {
  loadCore = cores.load;
  sutCore = cores.sut;
}
