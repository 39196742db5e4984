/**
 * A small parser for the Prometheus text exposition format (version 0.0.4),
 * enough for what prom-client writes: `# HELP` and `# TYPE` comments and
 * `name{label="value",…} value` samples, label values escaped with `\\`, `\"`
 * and `\n`. prom-client ships no parser, and tests must read /metrics the way
 * Prometheus does, not grep it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** Metric family name → type (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
  /** Sum of the samples named `name` whose labels include `labels` (0 when none match). */
  value(name: string, labels?: Record<string, string>): number;
  /** Whether a family or a sample of this exact name exists. */
  has(name: string): boolean;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        value += next === 'n' ? '\n' : (next ?? '');
      } else value += text[j];
    }
    if (text[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

const number = (text: string): number => (text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text));

export function parsePrometheusText(text: string): Scrape {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (kind === 'TYPE' && name) types.set(name, rest.join(' '));
      else if (kind === 'HELP' && name) help.set(name, rest.join(' '));
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2], line) : {}, value: number(m[3]!) });
  }
  const matches = (sample: Sample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
  return {
    types,
    help,
    samples,
    value: (name, labels = {}) => samples.filter((s) => s.name === name && matches(s, labels)).reduce((sum, s) => sum + s.value, 0),
    has: (name) => types.has(name) || samples.some((s) => s.name === name),
  };
}
