import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from './spawn.js';

/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and names where the
 * time went: the top functions by self time, and self time grouped by where
 * the code lives (a package, Node's internals, a Reelay module, GC).
 * Idle samples are left out of every share.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameShare {
  frame: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  /** Non-idle sampled time in the analysed window. */
  busyMs: number;
  topFrames: FrameShare[];
  byOrigin: Array<{ origin: string; selfMs: number; share: number }>;
  /** Inclusive share of a few frames that answer "how much is X" directly. */
  inclusive: Array<{ frame: string; share: number }>;
}

/** Where a frame's code lives, for grouping: "fastify", "node:internal", "reelay src/videos/service", "(garbage collector)". */
export function originOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) {
    const inner = url.lastIndexOf('node_modules/');
    const last = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.slice(inner));
    return last ? last[1]! : nm[1]!;
  }
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? `node:internal/${url.split('/')[1] ?? ''}` : url;
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const rel = relative(ROOT, path);
  if (!rel.startsWith('..')) return `reelay ${rel.replace(/\.(js|ts)$/, '')}`;
  return path;
}

function where(frame: CallFrame): string {
  const origin = originOf(frame);
  if (frame.url === '') return origin;
  const file = frame.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
  return `${origin.startsWith('reelay') ? '' : `${origin}: `}${file}:${frame.lineNumber + 1}`;
}

/**
 * @param skipMs leave out samples in the first `skipMs` of the profile (start-up and warm-up).
 * @param inclusiveNames frames whose inclusive share is reported (matched on function name and origin substring).
 */
export function summariseProfile(path: string, skipMs = 0, inclusiveNames: Array<{ name: RegExp; origin?: RegExp; label: string }> = []): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  const from = profile.startTime + skipMs * 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from) continue;
    // A sample's time is the gap to the next sample.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }

  let busyUs = 0;
  const frames = new Map<string, { frame: CallFrame; us: number }>();
  const origins = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') continue;
    busyUs += us;
    const key = `${cf.functionName}|${cf.url}|${cf.lineNumber}|${cf.columnNumber}`;
    const f = frames.get(key) ?? { frame: cf, us: 0 };
    f.us += us;
    frames.set(key, f);
    const o = originOf(cf);
    origins.set(o, (origins.get(o) ?? 0) + us);
    // Walk up once per sample node, crediting each named frame at most once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)!.callFrame;
      for (const inc of inclusiveNames) {
        if (seen.has(inc.label)) continue;
        if (inc.name.test(c.functionName) && (!inc.origin || inc.origin.test(originOf(c)))) {
          seen.add(inc.label);
          inclusive.set(inc.label, (inclusive.get(inc.label) ?? 0) + us);
        }
      }
    }
  }
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    busyMs: busyUs / 1000,
    topFrames: [...frames.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 20)
      .map((f) => ({ frame: f.frame.functionName || '(anonymous)', where: where(f.frame), selfMs: f.us / 1000, share: share(f.us) })),
    byOrigin: [...origins.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([origin, us]) => ({ origin, selfMs: us / 1000, share: share(us) })),
    inclusive: inclusiveNames.map((i) => ({ frame: i.label, share: share(inclusive.get(i.label) ?? 0) })),
  };
}

export function renderProfile(title: string, s: ProfileSummary): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const lines = [
    `#### ${title} (${Math.round(s.busyMs)} ms busy)`,
    '',
    '| self | function | where |',
    '|---:|---|---|',
    ...s.topFrames.slice(0, 15).map((f) => `| ${pct(f.share)} | \`${f.frame}\` | ${f.where} |`),
    '',
    '| self | code |',
    '|---:|---|',
    ...s.byOrigin.map((o) => `| ${pct(o.share)} | ${o.origin} |`),
  ];
  if (s.inclusive.length > 0) {
    lines.push('', '| inclusive | frame |', '|---:|---|', ...s.inclusive.map((i) => `| ${pct(i.share)} | ${i.frame} |`));
  }
  return lines.join('\n');
}
