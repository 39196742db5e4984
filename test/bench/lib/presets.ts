/**
 * How long and how hard each scenario runs. `full` is `npm run bench`
 * (about 5 minutes on 2 vCPUs); `smoke` is the quick test's single short
 * iteration, there only to prove every scenario still runs end to end.
 */

/** A run is either timed or a fixed number of requests. */
export type Amount = { durationS: number } | { amount: number };

export interface Preset {
  name: 'full' | 'smoke';
  iterations: number;
  status: { throughput: Amount; throughputConnections: number; latency: Amount; warm: Amount };
  create: { concurrency: number[]; run: Amount; warm: Amount };
  content: { bytes: number; sequential: number; parallel: number };
  polling: { clients: number[]; jobs: number; everyMs: number; windowS: number };
  profile: { durationS: number; warmS: number };
}

export const PRESETS: Record<Preset['name'], Preset> = {
  full: {
    name: 'full',
    iterations: 3,
    status: { throughput: { durationS: 5 }, throughputConnections: 50, latency: { durationS: 3 }, warm: { durationS: 2 } },
    create: { concurrency: [1, 50], run: { durationS: 4 }, warm: { durationS: 2 } },
    content: { bytes: 200 * 1024 * 1024, sequential: 2, parallel: 4 },
    polling: { clients: [1, 10, 100], jobs: 5, everyMs: 200, windowS: 20 },
    profile: { durationS: 10, warmS: 2 },
  },
  smoke: {
    name: 'smoke',
    iterations: 1,
    status: { throughput: { amount: 300 }, throughputConnections: 10, latency: { amount: 100 }, warm: { amount: 50 } },
    create: { concurrency: [1, 10], run: { amount: 150 }, warm: { amount: 30 } },
    content: { bytes: 8 * 1024 * 1024, sequential: 1, parallel: 2 },
    polling: { clients: [1, 3], jobs: 2, everyMs: 200, windowS: 2 },
    profile: { durationS: 1, warmS: 0.5 },
  },
};
