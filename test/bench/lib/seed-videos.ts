import type { Redis } from 'ioredis';
import { systemClock } from '../../../src/clock.js';
import type { Logger } from '../../../src/logger.js';
import { createRedisTaskStore } from '../../../src/stores/redis-task-store.js';
import { mintVideoId } from '../../../src/videos/video-id.js';

/**
 * Many videos for one key in the time it takes Redis to take the writes:
 * through the API, 100,000 creates cost minutes of Reelay's CPU on a 2-core
 * machine. This writes them through Reelay's own store code
 * (`createRedisTaskStore().put`, the very write a create makes), cloned from
 * a record Reelay itself stored, so the list path reads exactly what
 * production would hold. The clones are 1 ms apart and older than the
 * template, so ids (creation time first) sort as if made one after another.
 */

const silent: Logger = {
  fatal: () => {},
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  trace: () => {},
  child: () => silent,
};

export async function seedVideos(o: {
  redis: Redis;
  prefix: string;
  /** A video Reelay stored (made through its API): the record every clone copies. */
  templateId: string;
  count: number;
  /** Must match the store's: put refuses records past retention. Reelay's default is 30 days. */
  retentionDays?: number;
  concurrency?: number;
}): Promise<void> {
  const store = createRedisTaskStore({ redis: o.redis, prefix: o.prefix, retentionDays: o.retentionDays ?? 30, clock: systemClock, logger: silent });
  const template = await store.get(o.templateId);
  if (!template) throw new Error(`no record ${o.templateId} under ${o.prefix} to clone`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.count) {
      const i = next++;
      const createdAt = template.createdAt - (o.count - i);
      // No outbox: the clones' lifecycle events never happened, so no handler may find them pending.
      await store.put({ ...template, id: mintVideoId(createdAt), upstreamId: `${template.upstreamId}-seed-${i}`, createdAt, updatedAt: createdAt, outbox: undefined });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 256 }, worker));
}
