import autocannon from 'autocannon';
import { coreBusy, coreTimes, processCpuUs } from './proc.js';

/**
 * One autocannon run against one server, with what the kernel says about the
 * server during it. Latencies are collected from autocannon's per-response
 * event at microsecond resolution: its own histogram buckets whole
 * milliseconds, too coarse for a gateway's added latency.
 */

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  connections: number;
  /** Seconds; or `amount` for a fixed number of requests (smoke runs). */
  durationS?: number;
  amount?: number;
}

export interface RunResult {
  /** Responses received (any status). */
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  elapsedS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Server process CPU (user + system, all threads) per response; undefined without /proc. */
  cpuUsPerReq: number | undefined;
  /** Server process CPU share of one core over the run. */
  serverCpuShare: number | undefined;
  /** Busy share of each core over the run (load generator and server side). */
  coreBusy: number[] | undefined;
  /** CPU of this process (the load generator) per response. */
  loadCpuUsPerReq: number;
  statusCodes: Record<string, number>;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

class Samples {
  #data = new Float64Array(1 << 16);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#n++] = v;
  }
  sorted(): Float64Array {
    return this.#data.slice(0, this.#n).sort();
  }
}

/** Runs the load and reads the server's CPU time before and after. */
export async function runLoad(spec: LoadSpec, serverPid: number | undefined): Promise<RunResult> {
  const latencies = new Samples();
  const statusCodes: Record<string, number> = {};
  const cpu0 = serverPid === undefined ? undefined : processCpuUs(serverPid);
  const cores0 = coreTimes();
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: spec.method ?? 'GET',
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        pipelining: 1,
        // autocannon ends a run on its next sample tick: 100 ms instead of a second keeps short runs short.
        sampleInt: 100,
        ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.durationS ?? 5 }),
        timeout: 30,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
  });
  const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
  const self = process.cpuUsage(self0);
  const cpu1 = serverPid === undefined ? undefined : processCpuUs(serverPid);
  const busy = coreBusy(cores0, coreTimes());
  const sorted = latencies.sorted();
  const requests = sorted.length;
  const cpuUs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    requests,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    elapsedS,
    rps: requests / elapsedS,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: requests > 0 ? sum / requests : Number.NaN,
    cpuUsPerReq: cpuUs !== undefined && requests > 0 ? cpuUs / requests : undefined,
    serverCpuShare: cpuUs !== undefined ? cpuUs / 1e6 / elapsedS : undefined,
    coreBusy: busy,
    loadCpuUsPerReq: requests > 0 ? (self.user + self.system) / requests : Number.NaN,
    statusCodes,
  };
}
