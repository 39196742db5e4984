import { Agent, get } from 'node:http';
import { coreBusy, coreTimes, peakRssBytes, processCpuUs, resetPeakRss, rssBytes } from './proc.js';
import type { Metrics } from './types.js';

/**
 * Downloads of one big file from one server, `parallel` at a time, with what
 * the kernel says about the server meanwhile: throughput, CPU per 100 MB and
 * peak RSS growth (VmHWM after resetting it, cross-checked by sampling VmRSS
 * every 20 ms, since a kernel may refuse the reset).
 */

const MiB = 1024 * 1024;

export interface DownloadTarget {
  pid: number;
  url: string;
  headers: Record<string, string>;
}

export interface DownloadOptions {
  /** The size every download must have; anything else is a failure. */
  bytes: number;
  count: number;
  parallel: number;
  /** The load generator's core, for its busy column. */
  loadCore: number | undefined;
}

export async function measureDownloads(t: DownloadTarget, o: DownloadOptions): Promise<Metrics> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.parallel });
  const rss0 = rssBytes(t.pid);
  const hwmReset = resetPeakRss(t.pid);
  let sampled = rss0 ?? 0;
  const sampler = setInterval(() => (sampled = Math.max(sampled, rssBytes(t.pid) ?? 0)), 20);
  const cores0 = coreTimes();
  const cpu0 = processCpuUs(t.pid);
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let failures = 0;
  try {
    for (let done = 0; done < o.count; done += o.parallel) {
      const batch = Math.min(o.parallel, o.count - done);
      const got = await Promise.allSettled(Array.from({ length: batch }, () => download(t.url, t.headers, agent)));
      for (const g of got) {
        if (g.status === 'fulfilled' && g.value === o.bytes) bytes += g.value;
        else failures++;
      }
    }
  } finally {
    clearInterval(sampler);
    agent.destroy();
  }
  const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = processCpuUs(t.pid);
  const busy = coreBusy(cores0, coreTimes());
  sampled = Math.max(sampled, rssBytes(t.pid) ?? 0);
  const peak = hwmReset ? Math.max(peakRssBytes(t.pid) ?? 0, sampled) : sampled;
  return {
    mbps: bytes / MiB / elapsedS,
    rssGrowthMb: rss0 === undefined ? undefined : Math.max(0, peak - rss0) / MiB,
    peakRssMb: rss0 === undefined ? undefined : peak / MiB,
    cpuMsPer100Mb: cpu0 !== undefined && cpu1 !== undefined && bytes > 0 ? (cpu1 - cpu0) / 1000 / (bytes / (100 * MiB)) : undefined,
    loadCoreBusy: o.loadCore !== undefined && busy ? busy[o.loadCore] : undefined,
    failures,
  };
}

/** One GET read to the end; resolves with the bytes received, rejects on a non-200. */
export function download(url: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, agent }, (res) => {
      let n = 0;
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`GET ${url} answered ${res.statusCode}`));
      }
      res.on('data', (chunk: Buffer) => (n += chunk.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
