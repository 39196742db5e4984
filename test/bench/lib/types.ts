/** Shapes shared by the scenarios, the report and bench-results.json. */

export type ScenarioName = 'cached-status' | 'create' | 'content' | 'custody-content' | 'polling' | 'polling-scale' | 'list';
export const SCENARIOS: readonly ScenarioName[] = ['cached-status', 'create', 'content', 'custody-content', 'polling', 'polling-scale', 'list'];

/** One measured run of one arm; metric names are the phase's columns. */
export type Metrics = Record<string, number | undefined>;

export interface ArmResult {
  id: string;
  label: string;
  /** Shown for insight; no target is judged on it. */
  diagnostic?: boolean;
  runs: Metrics[];
  /** Median of each metric over the runs. */
  median: Metrics;
}

export interface Column {
  key: string;
  label: string;
  format: (v: number) => string;
}

export interface Phase {
  /** E.g. "concurrency 50". */
  label: string;
  columns: Column[];
  arms: ArmResult[];
}

export interface SummaryRow {
  scenario: string;
  metric: string;
  measured: string;
  target: string;
  /** undefined: reported without a target, or not measurable here. */
  met: boolean | undefined;
  /** The number the verdict was judged on, for bench-results.json. */
  value?: number | undefined;
}

export interface ScenarioResult {
  name: ScenarioName;
  title: string;
  phases: Phase[];
  summary: SummaryRow[];
  notes: string[];
}

export function median(values: ReadonlyArray<number | undefined>): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function medianMetrics(runs: readonly Metrics[]): Metrics {
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...keys].map((k) => [k, median(runs.map((r) => r[k]))]));
}

/** The median over iterations of f(a_i, b_i): paired, so drift between iterations cancels. */
export function paired(a: ArmResult, b: ArmResult, f: (a: Metrics, b: Metrics) => number | undefined): number | undefined {
  const n = Math.min(a.runs.length, b.runs.length);
  const values: Array<number | undefined> = [];
  for (let i = 0; i < n; i++) values.push(f(a.runs[i]!, b.runs[i]!));
  return median(values);
}

export const fmt = {
  int: (v: number) => Math.round(v).toLocaleString('en-US'),
  us: (v: number) => `${Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} µs`,
  ms: (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`,
  signedMs: (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} ms`,
  ratio: (v: number) => `${v.toFixed(2)}×`,
  pct: (v: number) => `${Math.round(v * 100)} %`,
  mbps: (v: number) => `${Math.round(v).toLocaleString('en-US')} MB/s`,
  mb: (v: number) => `${v.toFixed(1)} MB`,
  rate: (v: number) => `${v.toFixed(1)}`,
};
