import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { setCores } from './lib/compare.js';
import { createEnv, type BenchEnv } from './lib/env.js';
import { runLoad } from './lib/load.js';
import type { Preset } from './lib/presets.js';
import { cpuModel } from './lib/proc.js';
import { summariseProfile, type ProfileSummary } from './lib/profile.js';
import type { Machine } from './lib/report.js';
import { ROOT } from './lib/spawn.js';
import { SCENARIOS, type ScenarioName, type ScenarioResult, type SummaryRow } from './lib/types.js';
import { cachedStatus, completedVideo } from './scenarios/cached-status.js';
import { content } from './scenarios/content.js';
import { create, CREATE_POLL } from './scenarios/create.js';
import { custodyContent } from './scenarios/custody-content.js';
import { list } from './scenarios/list.js';
import { polling } from './scenarios/polling.js';
import { pollingScale } from './scenarios/polling-scale.js';

/** The whole benchmark as a function: `npm run bench` and the smoke test both call it. */

export interface BenchOptions {
  preset: Preset;
  scenarios?: readonly ScenarioName[];
  /** dist: `npm run build` first and run what ships; src: run src/main.ts through tsx (no build). */
  reelay: 'dist' | 'src';
  /** With reelay: 'dist', skip `npm run build` and run the dist/ already there. */
  noBuild?: boolean;
  /** Run this Reelay entry file instead of the repository's (implies no build). */
  reelayEntry?: string | undefined;
  /** A second build measured beside Reelay in the cached-status and create scenarios. */
  compareEntry?: string | undefined;
  pin: boolean;
  /** Also profile Reelay (node --cpu-prof) under the cached-status and create loads. */
  profile: boolean;
  /** Where .cpuprofile files are copied (default: bench-profiles/ in the repository). */
  profileDir?: string;
  log: (line: string) => void;
}

export interface ProfileResult extends ProfileSummary {
  scenario: ScenarioName;
  file: string;
}

export interface BenchResults {
  preset: Preset['name'];
  iterations: number;
  startedAt: string;
  elapsedS: number;
  machine: Machine;
  scenarios: ScenarioResult[];
  summary: SummaryRow[];
  notes: string[];
  profiles: ProfileResult[];
}

const RUNNERS: Record<ScenarioName, (env: BenchEnv, preset: Preset, log: (l: string) => void) => Promise<ScenarioResult>> = {
  'cached-status': cachedStatus,
  create,
  content,
  'custody-content': custodyContent,
  polling,
  'polling-scale': pollingScale,
  list,
};

export async function runBench(opts: BenchOptions): Promise<BenchResults> {
  const started = Date.now();
  const { preset, log } = opts;
  if (opts.reelay === 'dist' && !opts.noBuild && !opts.reelayEntry) {
    log('building dist/ (npm run build)');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  // Before the benchmark pins itself: nproc and availableParallelism() follow the affinity mask.
  const nproc = availableParallelism();
  const env = await createEnv({ pin: opts.pin, reelay: opts.reelay, reelayEntry: opts.reelayEntry, compareEntry: opts.compareEntry, contentBytes: preset.content.bytes, log });
  setCores(env.cpus);
  const machine: Machine = {
    nproc,
    cpuModel: cpuModel(),
    node: process.version,
    os: `${osType()} ${release()}`,
    pinning: env.cpus.sut !== undefined ? `Systems under test pinned to CPU ${env.cpus.sut}, load generator to CPU ${env.cpus.load} (taskset)` : 'No CPU pinning',
  };
  const scenarios: ScenarioResult[] = [];
  const profiles: ProfileResult[] = [];
  try {
    for (const name of opts.scenarios ?? SCENARIOS) {
      log(`\n${name}`);
      const t0 = Date.now();
      const result = await RUNNERS[name](env, preset, log);
      scenarios.push(result);
      // Loudly, as they happen: a failed request voids the verdicts judged on its arm.
      for (const note of result.notes) log(`  !! ${note}`);
      log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    if (opts.profile) {
      const outDir = opts.profileDir ?? join(ROOT, 'bench-profiles');
      for (const name of ['cached-status', 'create'] as const) {
        if (opts.scenarios && !opts.scenarios.includes(name)) continue;
        log(`\nprofiling Reelay under the ${name} load`);
        profiles.push(await profile(env, preset, name, outDir, log));
      }
    }
  } finally {
    await env.close();
  }
  return {
    preset: preset.name,
    iterations: preset.iterations,
    startedAt: new Date(started).toISOString(),
    elapsedS: (Date.now() - started) / 1000,
    machine,
    scenarios,
    summary: scenarios.flatMap((s) => s.summary),
    notes: scenarios.flatMap((s) => s.notes),
    profiles,
  };
}

/** Frames whose inclusive share answers a question directly ("how much is logging?"). */
const INCLUSIVE = [
  { label: 'pino (request and app logging)', name: /./, origin: /^(pino|sonic-boom|pino-std-serializers|fast-redact|@pinojs\/redact|quick-format-unescaped)$/ },
  { label: 'ioredis (store, rate limit)', name: /./, origin: /^(ioredis|redis-parser|@ioredis\/commands)$/ },
  { label: 'undici (upstream calls)', name: /./, origin: /^undici$/ },
  { label: 'zod (validation, wire parsing)', name: /./, origin: /^zod$/ },
  { label: '@fastify/multipart + busboy', name: /./, origin: /^(@fastify\/multipart|@fastify\/busboy|busboy)$/ },
  { label: '@fastify/rate-limit', name: /./, origin: /^@fastify\/rate-limit$/ },
  { label: 'node:crypto (request ids, key digests)', name: /./, origin: /^node:internal\/crypto$/ },
  { label: 'garbage collector', name: /^\(garbage collector\)$/ },
];

async function profile(env: BenchEnv, preset: Preset, name: 'cached-status' | 'create', outDir: string, log: (l: string) => void): Promise<ProfileResult> {
  const dir = join(env.dir, `profile-${name}`);
  const spawnedAt = Date.now();
  const reelay = await env.startReelay({
    name: `profile-${name}`,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'],
    ...(name === 'create' ? { poll: CREATE_POLL } : {}),
  });
  let loadFrom: number;
  try {
    const connections = 50;
    const spec =
      name === 'cached-status'
        ? { url: `${reelay.origin}/v1/videos/${(await completedVideo(env, reelay)).id}`, headers: env.authHeaders(), connections }
        : {
            url: `${reelay.origin}/v1/videos`,
            method: 'POST' as const,
            headers: env.authHeaders({ 'content-type': env.sdk.createContentType }),
            body: env.sdk.createBody,
            connections,
          };
    await runLoad({ ...spec, durationS: preset.profile.warmS }, reelay.pid);
    loadFrom = Date.now();
    const r = await runLoad({ ...spec, durationS: preset.profile.durationS }, reelay.pid);
    log(`  ${Math.round(r.rps)} req/s under the profiler, ${r.non2xx + r.errors} failures`);
  } finally {
    await reelay.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`node --cpu-prof wrote no profile into ${dir}`);
  mkdirSync(outDir, { recursive: true });
  const kept = join(outDir, `${name}.cpuprofile`);
  copyFileSync(join(dir, file), kept);
  return { scenario: name, file: kept, ...summariseProfile(kept, loadFrom - spawnedAt, INCLUSIVE) };
}
