import { Client } from 'undici';
import { percentile } from './load.js';
import type { Amount } from './presets.js';
import { coreBusy, coreTimes, processCpuUs } from './proc.js';

/**
 * One request at a time over one keep-alive connection, each timed with
 * process.hrtime.bigint() from just before the request is written to the end
 * of its body: the added-latency figure at microsecond resolution.
 * autocannon is built for throughput and its histogram keeps whole
 * milliseconds; at 1 connection a plain loop is also the cheapest possible
 * load generator, so it adds the least noise to the server's core.
 */

export interface SequentialSpec {
  origin: string;
  path: string | (() => string);
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Reads each answer's text (list paging: the next cursor); called after the request's time is taken. */
  onBody?: (text: string) => void;
}

export interface SequentialResult {
  requests: number;
  /** Non-2xx answers and transport errors. */
  failures: number;
  statusCodes: Record<string, number>;
  elapsedS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  cpuUsPerReq: number | undefined;
  serverCpuShare: number | undefined;
  coreBusy: number[] | undefined;
  loadCpuUsPerReq: number;
}

export async function runSequential(spec: SequentialSpec, amount: Amount, serverPid: number | undefined): Promise<SequentialResult> {
  const client = new Client(spec.origin, { pipelining: 1, keepAliveTimeout: 30_000 });
  const times: number[] = [];
  const statusCodes: Record<string, number> = {};
  let failures = 0;
  const method = spec.method ?? 'GET';
  try {
    // One untimed request opens the connection, so no sample pays the TCP handshake.
    const [, first] = await once(client, spec, method);
    if (first !== undefined) spec.onBody?.(first);
    const cpu0 = serverPid === undefined ? undefined : processCpuUs(serverPid);
    const cores0 = coreTimes();
    const self0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const deadline = 'durationS' in amount ? t0 + BigInt(Math.round(amount.durationS * 1e9)) : undefined;
    const count = 'amount' in amount ? amount.amount : Number.POSITIVE_INFINITY;
    while (times.length < count && (deadline === undefined || process.hrtime.bigint() < deadline)) {
      const start = process.hrtime.bigint();
      let status = 0;
      let text: string | undefined;
      try {
        [status, text] = await once(client, spec, method);
      } catch {
        status = 0;
      }
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (text !== undefined && status >= 200 && status < 300) spec.onBody?.(text);
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (status < 200 || status >= 300) failures++;
    }
    const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
    const self = process.cpuUsage(self0);
    const cpu1 = serverPid === undefined ? undefined : processCpuUs(serverPid);
    const cpuUs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
    const sorted = times.slice().sort((a, b) => a - b);
    const n = sorted.length;
    return {
      requests: n,
      failures,
      statusCodes,
      elapsedS,
      rps: n / elapsedS,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      meanMs: n > 0 ? sorted.reduce((a, b) => a + b, 0) / n : Number.NaN,
      cpuUsPerReq: cpuUs !== undefined && n > 0 ? cpuUs / n : undefined,
      serverCpuShare: cpuUs !== undefined ? cpuUs / 1e6 / elapsedS : undefined,
      coreBusy: coreBusy(cores0, coreTimes()),
      loadCpuUsPerReq: n > 0 ? (self.user + self.system) / n : Number.NaN,
    };
  } finally {
    await client.close();
  }
}

/** One request, its body read to the end (as text when the spec wants it). */
async function once(client: Client, spec: SequentialSpec, method: 'GET' | 'POST'): Promise<[number, string | undefined]> {
  const res = await client.request({
    method,
    path: typeof spec.path === 'function' ? spec.path() : spec.path,
    headers: spec.headers,
    body: spec.body,
  });
  if (spec.onBody) return [res.statusCode, await res.body.text()];
  // Read to the end rather than dump(), which closes the connection past 128 KiB and would break keep-alive.
  for await (const _chunk of res.body) void _chunk;
  return [res.statusCode, undefined];
}
