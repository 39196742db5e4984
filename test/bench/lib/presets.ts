/**
 * How long and how hard each scenario runs. `full` is `npm run bench`
 * (about 10 minutes on 2 vCPUs); `smoke` is the quick test's single short
 * iteration, there only to prove every scenario still runs end to end.
 */

/** A run is either timed or a fixed number of requests. */
export type Amount = { durationS: number } | { amount: number };

export interface Preset {
  name: 'full' | 'smoke';
  iterations: number;
  /** latency: the 1-connection sequential loop. */
  status: { throughput: Amount; throughputConnections: number; latency: Amount; warm: Amount };
  /** The first concurrency runs through the sequential loop (the judged one), the others through autocannon. */
  create: { concurrency: number[]; run: Amount; warm: Amount };
  /** bytes: the content file; concurrent: the downloads at once of the custody RSS phase. */
  content: { bytes: number; sequential: number; parallel: number; concurrent: number };
  polling: { clients: number[]; jobs: number; everyMs: number; windowS: number };
  /** jobs in flight; intervalMs: poll.initial_ms = max_ms; windowS: measured per phase (one, then two instances). */
  pollingScale: { jobs: number; intervalMs: number; windowS: number; createConcurrency: number };
  /** Videos of the small and the large key; `run` is the sequential loop's, per key. */
  list: { small: number; large: number; run: Amount; warm: Amount };
  profile: { durationS: number; warmS: number };
}

export const PRESETS: Record<Preset['name'], Preset> = {
  full: {
    name: 'full',
    iterations: 3,
    status: { throughput: { durationS: 5 }, throughputConnections: 50, latency: { durationS: 3 }, warm: { durationS: 2 } },
    create: { concurrency: [1, 50], run: { durationS: 4 }, warm: { durationS: 2 } },
    content: { bytes: 100 * 1024 * 1024, sequential: 3, parallel: 4, concurrent: 100 },
    polling: { clients: [1, 10, 100], jobs: 5, everyMs: 200, windowS: 20 },
    pollingScale: { jobs: 10_000, intervalMs: 5000, windowS: 30, createConcurrency: 32 },
    list: { small: 100, large: 100_000, run: { durationS: 4 }, warm: { durationS: 1 } },
    profile: { durationS: 10, warmS: 2 },
  },
  smoke: {
    name: 'smoke',
    iterations: 1,
    status: { throughput: { amount: 300 }, throughputConnections: 10, latency: { amount: 100 }, warm: { amount: 50 } },
    create: { concurrency: [1, 10], run: { amount: 150 }, warm: { amount: 30 } },
    content: { bytes: 8 * 1024 * 1024, sequential: 1, parallel: 2, concurrent: 10 },
    polling: { clients: [1, 3], jobs: 2, everyMs: 200, windowS: 2 },
    pollingScale: { jobs: 200, intervalMs: 1500, windowS: 4, createConcurrency: 16 },
    list: { small: 100, large: 2000, run: { amount: 40 }, warm: { amount: 10 } },
    profile: { durationS: 1, warmS: 0.5 },
  },
};
