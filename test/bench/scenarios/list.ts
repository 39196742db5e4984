import type { Redis } from 'ioredis';
import { alternate, sequentialArm } from '../lib/compare.js';
import { createMany } from '../lib/create-many.js';
import type { BenchEnv, ReelayServer } from '../lib/env.js';
import type { Preset } from '../lib/presets.js';
import { benchRedis } from '../lib/redis.js';
import { seedVideos } from '../lib/seed-videos.js';
import { fmt, paired, type ScenarioResult } from '../lib/types.js';
import { arm, div, failureNotes, HTTP_COLUMNS, show, voidIfFailed } from './common.js';
import { CREATE_POLL } from './create.js';

/**
 * 6. List. GET /v1/videos?limit=100 for a key with `small` videos (100) and
 * for a key with `large` (100,000 in the full run), on one Reelay with the
 * Redis store, through the sequential keep-alive loop. The large key pages
 * through all its videos with `after` (each answer's last_id is the next
 * cursor, starting over at the end), so deep pages count as much as the
 * first; the small key's single page holds all 100. Every answer carries 100
 * videos either way, so the ratio is what the size of the index costs.
 *
 * The small key's videos and the large key's first are made through the API;
 * the rest of the large key's are written through Reelay's own store code
 * (lib/seed-videos.ts), since 100,000 creates would take minutes.
 */

export const LIST_TARGET = 1.5;
const SMALL_KEY = 'sk-bench-list-small-0123456789';
const LARGE_KEY = 'sk-bench-list-large-0123456789';

export async function list(env: BenchEnv, preset: Preset, log: (l: string) => void): Promise<ScenarioResult> {
  const { small, large, run, warm } = preset.list;
  let reelay: ReelayServer | undefined;
  let redis: Redis | undefined;
  try {
    reelay = await env.startReelay({
      name: 'list-reelay',
      poll: CREATE_POLL,
      keys: [
        { name: 'list-small', key: SMALL_KEY },
        { name: 'list-large', key: LARGE_KEY },
      ],
    });
    const origin = reelay.origin;
    redis = await benchRedis(env.redis.url);
    log(`  seeding ${fmt.int(small)} + ${fmt.int(large)} videos`);
    const t0 = Date.now();
    // Completed at once: nothing is ever polled, so the list reads are all the server does.
    const prompt = () => '#done #tag=list A calico cat playing a piano on stage';
    await createMany({ origin, headers: env.authHeaders({}, SMALL_KEY), count: small, concurrency: 16, prompt });
    const [template] = await createMany({ origin, headers: env.authHeaders({}, LARGE_KEY), count: 1, concurrency: 1, prompt });
    await seedVideos({ redis, prefix: reelay.prefix, templateId: template!, count: large - 1 });
    log(`    ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const firstPage = '/v1/videos?limit=100';
    let cursor: string | undefined;
    const arms = await alternate(
      [
        sequentialArm({
          id: 'small',
          label: `${fmt.int(small)} videos, first page`,
          pid: reelay.pid,
          spec: { origin, path: firstPage, headers: env.authHeaders({}, SMALL_KEY) },
          amount: run,
          warm,
        }),
        sequentialArm({
          id: 'large',
          label: `${fmt.int(large)} videos, paging with after`,
          pid: reelay.pid,
          spec: {
            origin,
            path: () => (cursor === undefined ? firstPage : `${firstPage}&after=${cursor}`),
            headers: env.authHeaders({}, LARGE_KEY),
            onBody: (text) => {
              const page = JSON.parse(text) as { last_id: string | null; has_more: boolean; data: unknown[] };
              if (page.data.length !== 100 && page.has_more) throw new Error(`a list page held ${page.data.length} videos`);
              cursor = page.has_more && page.last_id ? page.last_id : undefined;
            },
          },
          amount: run,
          warm,
        }),
      ],
      preset.iterations,
      log,
    );
    const [S, L] = [arm(arms, 'small'), arm(arms, 'large')];
    const ratio = paired(L, S, (a, b) => div(a.p50Ms, b.p50Ms));
    const ms = (v?: number) => show(v, fmt.ms);
    return {
      name: 'list',
      title: 'List',
      phases: [{ label: 'limit=100, 1 connection', columns: HTTP_COLUMNS, arms }],
      summary: [
        voidIfFailed(
          {
            scenario: 'List',
            metric: `p50, limit=100: ${fmt.int(large)} vs ${fmt.int(small)} videos for one key`,
            measured: `${ms(L.median.p50Ms)} vs ${ms(S.median.p50Ms)} = ${show(ratio, fmt.ratio)} (p99 ${ms(L.median.p99Ms)} vs ${ms(S.median.p99Ms)}; CPU per page ${show(L.median.cpuUsPerReq, fmt.us)} vs ${show(S.median.cpuUsPerReq, fmt.us)})`,
            target: `≤ ${LIST_TARGET}× p50 at ${fmt.int(small)}`,
            met: ratio === undefined ? undefined : ratio <= LIST_TARGET,
            value: ratio,
          },
          [L, S],
        ),
      ],
      notes: failureNotes('List', 'limit=100', arms),
    };
  } finally {
    redis?.disconnect();
    await reelay?.stop();
  }
}
