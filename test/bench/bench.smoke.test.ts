import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench, type BenchResults } from './bench.js';
import { PRESETS } from './lib/presets.js';
import { renderDetails, renderSummary } from './lib/report.js';
import { SCENARIOS } from './lib/types.js';

/**
 * Keeps `npm run bench` from rotting: one short iteration of every scenario
 * (a few hundred requests each, an 8 MB file served through and from
 * custody, 2 s of fan-in polling, 200 jobs polled at scale by one then two
 * instances, a list over 2,000 seeded videos) plus a short profile, through the very code the benchmark runs. It asserts only that
 * every arm ran, nothing failed and the numbers are sane; never a speed,
 * since a loaded CI machine may be arbitrarily slow. Reelay runs from src/
 * through tsx, so this test needs no build; nothing is pinned to a CPU.
 */

let results: BenchResults;
let profileDir: string;

beforeAll(async () => {
  profileDir = await mkdtemp(join(tmpdir(), 'reelay-bench-smoke-'));
  results = await runBench({
    preset: PRESETS.smoke,
    reelay: 'src',
    pin: false,
    profile: true,
    profileDir,
    log: () => {},
  });
}, 240_000);

afterAll(async () => {
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

const finite = (v: number | undefined) => v !== undefined && Number.isFinite(v);

describe('npm run bench, one short iteration', () => {
  it('runs every scenario and summarises each with a verdict column', () => {
    expect(results.scenarios.map((s) => s.name)).toEqual([...SCENARIOS]);
    expect(results.summary.length).toBeGreaterThanOrEqual(20);
    for (const row of results.summary) {
      expect(row.measured, row.metric).not.toMatch(/NaN|undefined|Infinity/);
      expect([true, false, undefined]).toContain(row.met);
    }
    const table = renderSummary(results.summary, results.iterations);
    expect(table.split('\n').length).toBe(results.summary.length + 2);
    expect(renderDetails(results.scenarios)).toContain('| arm |');
  });

  it('measures every HTTP arm with no failed request and sane numbers', () => {
    for (const name of ['cached-status', 'create', 'list'] as const) {
      const scenario = results.scenarios.find((s) => s.name === name)!;
      for (const phase of scenario.phases) {
        for (const arm of phase.arms) {
          const m = arm.median;
          const where = `${name}, ${phase.label}, ${arm.label}`;
          expect(m.failures, where).toBe(0);
          expect(m.requests, where).toBeGreaterThan(0);
          expect(m.rps, where).toBeGreaterThan(0);
          expect(m.p50Ms, where).toBeGreaterThan(0);
          expect(m.p99Ms!, where).toBeGreaterThanOrEqual(m.p50Ms!);
          // Undefined only without /proc; CPU ticks are 10 ms, so a short run may read 0.
          if (m.cpuUsPerReq !== undefined) expect(finite(m.cpuUsPerReq) && m.cpuUsPerReq >= 0, where).toBe(true);
        }
      }
    }
  });

  it('streams the whole file through Reelay, directly, from custody and from the bare file server', () => {
    const phases = results.scenarios.filter((s) => s.name === 'content' || s.name === 'custody-content').flatMap((s) => s.phases);
    expect(phases.length).toBe(5);
    for (const phase of phases) {
      for (const arm of phase.arms) {
        expect(arm.median.failures, `${phase.label}, ${arm.label}`).toBe(0);
        expect(arm.median.mbps).toBeGreaterThan(0);
        if (arm.median.rssGrowthMb !== undefined) expect(arm.median.rssGrowthMb).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('polls with every client count and counts upstream status calls per job', () => {
    const scenario = results.scenarios.find((s) => s.name === 'polling')!;
    const arms = scenario.phases[0]!.arms;
    expect(arms.map((a) => a.id)).toEqual(PRESETS.smoke.polling.clients.map((n) => `n${n}`));
    for (const arm of arms) {
      expect(arm.median.failures, arm.label).toBe(0);
      expect(arm.median.clientRps).toBeGreaterThan(0);
      expect(finite(arm.median.callsPerJobMin) && arm.median.callsPerJobMin! >= 0).toBe(true);
    }
  });

  it('polls every job at scale with one and then two instances, never twice within min_interval_ms', () => {
    const scenario = results.scenarios.find((s) => s.name === 'polling-scale')!;
    const arms = new Map(scenario.phases[0]!.arms.map((a) => [a.id, a.median]));
    expect([...arms.keys()]).toEqual(['one', 'one-a', 'two', 'two-a', 'two-b']);
    for (const id of ['one', 'two']) {
      const all = arms.get(id)!;
      expect(all.polls, id).toBeGreaterThan(0);
      expect(finite(all.p99LateMs) && all.p99LateMs! >= 0, id).toBe(true);
      expect(all.unmatched, id).toBe(0);
      expect(all.doublePolls, id).toBe(0);
    }
    // Each instance's calls add up to the window's, and both took part.
    expect(arms.get('two-a')!.polls! + arms.get('two-b')!.polls!).toBe(arms.get('two')!.polls);
    expect(arms.get('two-b')!.polls).toBeGreaterThan(0);
    const rss = arms.get('one-a')!.peakRssMb;
    if (rss !== undefined) expect(rss).toBeGreaterThan(10);
  });

  it('profiles Reelay and names its top frames', () => {
    expect(results.profiles.map((p) => p.scenario)).toEqual(['cached-status', 'create']);
    for (const p of results.profiles) {
      expect(p.busyMs).toBeGreaterThan(0);
      expect(p.topFrames.length).toBeGreaterThan(0);
      expect(p.byOrigin.length).toBeGreaterThan(0);
    }
  });
});
