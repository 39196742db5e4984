import type { ScenarioResult, SummaryRow } from './types.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  os: string;
  /** "SUT on CPU 1, load on CPU 0" or why not. */
  pinning: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function renderSummary(rows: readonly SummaryRow[], iterations: number): string {
  const head = `| Scenario | Metric | Measured (median of ${iterations}) | Target | Result |`;
  return [
    head,
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.scenario)} | ${cell(r.metric)} | ${cell(r.measured)} | ${cell(r.target)} | ${r.met === undefined ? '' : r.met ? '✓' : '**✗**'} |`),
  ].join('\n');
}

export function renderDetails(scenarios: readonly ScenarioResult[]): string {
  const out: string[] = [];
  for (const s of scenarios) {
    for (const phase of s.phases) {
      out.push(`**${s.title}, ${phase.label}** (median per arm)`, '');
      out.push(`| arm | ${phase.columns.map((c) => c.label).join(' | ')} |`);
      out.push(`|---|${phase.columns.map(() => '---:').join('|')}|`);
      for (const arm of phase.arms) {
        const values = phase.columns.map((c) => {
          const v = arm.median[c.key];
          return v === undefined || !Number.isFinite(v) ? 'n/a' : c.format(v);
        });
        out.push(`| ${cell(arm.label)} | ${values.join(' | ')} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

export function renderMachine(m: Machine): string {
  return `Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, Node ${m.node}, ${m.os}. ${m.pinning}.`;
}
