import type { LoadSpec } from '../lib/load.js';
import type { Amount } from '../lib/presets.js';
import { fmt, paired, type ArmResult, type Column, type SummaryRow } from '../lib/types.js';

export const HTTP_COLUMNS: Column[] = [
  { key: 'rps', label: 'req/s', format: fmt.int },
  { key: 'p50Ms', label: 'p50', format: fmt.ms },
  { key: 'p99Ms', label: 'p99', format: fmt.ms },
  { key: 'cpuUsPerReq', label: 'server CPU/req', format: fmt.us },
  { key: 'serverCpu', label: 'server CPU', format: fmt.pct },
  { key: 'loadCoreBusy', label: 'load core busy', format: fmt.pct },
  { key: 'loadCpuUsPerReq', label: 'load gen CPU/req', format: fmt.us },
  { key: 'otherLoad', label: 'other load on server core', format: fmt.pct },
  { key: 'failures', label: 'failures', format: fmt.int },
];

export function spec(base: Omit<LoadSpec, 'durationS' | 'amount'>, amount: Amount): LoadSpec {
  return { ...base, ...amount };
}

export function arm(arms: ArmResult[], id: string): ArmResult {
  const a = arms.find((x) => x.id === id);
  if (!a) throw new Error(`no arm ${id}`);
  return a;
}

export const div = (a?: number, b?: number): number | undefined => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
export const sub = (a?: number, b?: number): number | undefined => (a !== undefined && b !== undefined ? a - b : undefined);

/** "12.3 µs" or "n/a" where /proc could not be read. */
export const show = (v: number | undefined, f: (v: number) => string): string => (v === undefined ? 'n/a' : f(v));

/** Every failed request of a phase, so a broken arm is never reported as a fast one. */
export function failureNotes(scenario: string, phase: string, arms: ArmResult[]): string[] {
  return arms
    .filter((a) => failedRequests(a) > 0)
    .map((a) => `${scenario}, ${phase}: ${a.label} had ${failedRequests(a)} failed requests (non-2xx, errors or timeouts); its verdicts are void`);
}

/** Failed requests (non-2xx, errors, timeouts) over every run of an arm. */
export const failedRequests = (a: ArmResult): number => a.runs.reduce((s, r) => s + (r.failures ?? 0), 0);

/**
 * A verdict judged on an arm that had a failed request is void: a 429 or a
 * 5xx answered fast is not throughput, so the row says VOID and shows ✗
 * whatever its numbers, and the failures are listed under the table.
 */
export function voidIfFailed(row: SummaryRow, judged: readonly ArmResult[]): SummaryRow {
  const failed = judged.filter((a) => failedRequests(a) > 0);
  if (failed.length === 0) return row;
  const why = failed.map((a) => `${a.label} had ${failedRequests(a)} failed requests`).join('; ');
  return { ...row, measured: `VOID: ${why}. (${row.measured})`, met: false };
}

/** Rows for --compare-entry: the second build against the first, CPU and p50, paired per iteration. */
export function compareRows(scenario: string, phases: Array<{ label: string; a: ArmResult; b: ArmResult }>): SummaryRow[] {
  return phases.map(({ label, a, b }) => {
    const cpu = paired(b, a, (x, y) => (x.cpuUsPerReq !== undefined && y.cpuUsPerReq ? x.cpuUsPerReq / y.cpuUsPerReq : undefined));
    const p50 = paired(b, a, (x, y) => (x.p50Ms !== undefined && y.p50Ms !== undefined ? x.p50Ms - y.p50Ms : undefined));
    return {
      scenario,
      metric: `--compare-entry build vs this build, ${label} (diagnostic)`,
      measured: `CPU per request ${show(b.median.cpuUsPerReq, fmt.us)} vs ${show(a.median.cpuUsPerReq, fmt.us)} = ${show(cpu, fmt.ratio)}; p50 ${show(p50, fmt.signedMs)}`,
      target: '—',
      met: undefined,
      value: cpu,
    };
  });
}
