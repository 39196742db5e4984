import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * What the kernel says about a process and the CPUs: CPU time from
 * /proc/<pid>/stat, resident memory from /proc/<pid>/status, per-core busy
 * time from /proc/stat. Every reader returns undefined where /proc is missing
 * (macOS), so the benchmark still runs there, only with fewer columns.
 */

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 almost everywhere). */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** User + system CPU time of the whole process (every thread: JS, GC, libuv pool), in µs. */
export function processCpuUs(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name may hold spaces and parentheses; the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5); fields[0] is field 3 (state).
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1e6) / ticksPerSecond();
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const status = read(`/proc/${pid}/status`);
  const m = status === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : undefined;
}

/** Resident set size now, in bytes. */
export const rssBytes = (pid: number): number | undefined => mul(statusKb(pid, 'VmRSS'), 1024);
/** Peak resident set size since start or since resetPeakRss, in bytes. */
export const peakRssBytes = (pid: number): number | undefined => mul(statusKb(pid, 'VmHWM'), 1024);

const mul = (v: number | undefined, k: number) => (v === undefined ? undefined : v * k);

/** Resets VmHWM to the current RSS (proc(5): clear_refs "5"); false where the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface CoreTimes {
  /** Per core: [busy ticks, total ticks]. */
  cores: Array<[number, number]>;
}

export function coreTimes(): CoreTimes | undefined {
  const stat = read('/proc/stat');
  if (stat === undefined) return undefined;
  const cores: Array<[number, number]> = [];
  for (const line of stat.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest is already in user)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    cores[Number(m[1])] = [total - idle, total];
  }
  return { cores };
}

/** Busy share (0..1) of each core between two readings. */
export function coreBusy(before: CoreTimes | undefined, after: CoreTimes | undefined): number[] | undefined {
  if (!before || !after) return undefined;
  return after.cores.map(([busy, total], i) => {
    const [b0, t0] = before.cores[i] ?? [0, 0];
    return total - t0 > 0 ? (busy - b0) / (total - t0) : 0;
  });
}

/** The CPUs this process may run on, from sched_getaffinity as /proc reports it. */
export function allowedCpus(): number[] | undefined {
  const status = read('/proc/self/status');
  const m = status === undefined ? null : /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  if (!m) return undefined;
  const cpus: number[] = [];
  for (const part of m[1]!.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) cpus.push(c);
  }
  return cpus;
}

let tasksetPath: string | null | undefined;

export function taskset(): string | undefined {
  if (tasksetPath === undefined) {
    tasksetPath = ['/usr/bin/taskset', '/bin/taskset', '/usr/local/bin/taskset'].find((p) => existsSync(p)) ?? null;
  }
  return tasksetPath ?? undefined;
}

/** Moves a running process and all its threads (here: the benchmark itself) onto one CPU. */
export function pinProcess(pid: number, cpu: number): boolean {
  const bin = taskset();
  if (!bin) return false;
  try {
    execFileSync(bin, ['-a', '-pc', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `lscpu`'s model name, or /proc/cpuinfo's, for the machine line of the report. */
export function cpuModel(): string {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const m = /^Model name:\s*(.+)$/m.exec(out);
    if (m) return m[1]!.trim();
  } catch {
    // fall through
  }
  const m = /^model name\s*:\s*(.+)$/m.exec(read('/proc/cpuinfo') ?? '');
  return m ? m[1]!.trim() : 'unknown';
}
