/**
 * The child process of custody-memory.test.ts: runs many custody copies at
 * once through the real handler (provider adapter → undici → storage driver)
 * and reports its own RSS, idle and peak, as one JSON line on stdout.
 *
 * Input (env): COPIES_CONFIG, a Reelay YAML file (providers + storage);
 * COPIES_JOBS, a JSON array of upstream job ids already completed upstream.
 * Run with --expose-gc, so the idle figure is taken after a full collection.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseConfig } from '../../../src/config/load.js';
import { videoEvent } from '../../../src/events/event.js';
import { createLogger } from '../../../src/logger.js';
import { credentialFingerprint } from '../../../src/providers/http/credential-pool.js';
import { createProviderRegistry } from '../../../src/providers/registry.js';
import { createStorage } from '../../../src/storage/create-storage.js';
import { createCustody } from '../../../src/storage/custody.js';
import { createMemoryTaskStore } from '../../../src/stores/memory-task-store.js';
import type { TaskRecord } from '../../../src/stores/task-store.js';
import { mintVideoId } from '../../../src/videos/video-id.js';

const clock = { now: () => Date.now() };
const logger = createLogger('warn');
const config = parseConfig(process.env.COPIES_CONFIG!, {});
const jobs = JSON.parse(process.env.COPIES_JOBS!) as string[];
const provider = config.providers[0]!;
const key = 'api_keys' in provider ? provider.api_keys[0]! : '';

const store = createMemoryTaskStore({ clock, retentionDays: 1 });
const providers = createProviderRegistry(config.providers, { logger, clock });
const storage = createStorage(config.storage, clock)!;
const custody = createCustody({ storage, store, providers, clock, config: config.storage, logger });

const recordFor = (upstreamId: string): TaskRecord => {
  const now = clock.now();
  return {
    id: mintVideoId(now),
    owner: 'memory-check',
    provider: provider.id,
    upstreamId,
    credential: credentialFingerprint(provider.id, key),
    model: 'sora-2',
    upstreamModel: 'sora-2',
    prompt: 'memory check',
    seconds: '4',
    size: '720x1280',
    remixedFrom: null,
    createdAt: now,
    updatedAt: now,
    state: { status: 'completed', progress: 100, error: null, completedAt: Math.floor(now / 1000), expiresAt: null },
  };
};

let retries = 0;
/** One video's custody as the dispatcher runs it, a retry at once instead of after its backoff. */
const copy = async (record: TaskRecord) => {
  await store.put(record);
  const event = videoEvent(record.id, 'completed', clock.now());
  for (let attempt = 1; attempt <= 3; attempt++) {
    const current = (await store.get(record.id))!;
    const result = await custody.handler.handle(event, current, { attempt, now: clock.now(), log: logger });
    if ('done' in result) return (await store.get(record.id))!.custody;
    retries++;
  }
  throw new Error(`custody of ${record.upstreamId} did not finish in 3 attempts`);
};

const gc = (globalThis as { gc?: () => void }).gc!;

// Warm up on the first job (modules loaded, code compiled, pools made), then settle and measure idle.
await copy(recordFor(jobs[0]!));
gc();
await new Promise((r) => setTimeout(r, 200));
gc();
const idleRss = process.memoryUsage.rss();

let peakRss = idleRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 10);
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const startedAt = Date.now();
const kept = await Promise.all(jobs.map((id) => copy(recordFor(id))));
const durationMs = Date.now() - startedAt;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
lag.disable();

const videos = kept.map((c) => c?.video);
process.stdout.write(
  `${JSON.stringify({
    copies: jobs.length,
    idleRss,
    peakRss,
    durationMs,
    retries,
    maxEventLoopDelayMs: Math.round(lag.max / 1e6),
    stored: videos.filter((v) => v?.status === 'stored').length,
    sha256: [...new Set(videos.map((v) => (v?.status === 'stored' ? v.sha256 : null)))],
    sizes: [...new Set(videos.map((v) => (v?.status === 'stored' ? v.size : null)))],
  })}\n`,
);
await custody.close();
await storage.close();
process.exit(0);
