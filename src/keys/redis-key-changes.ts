import { once } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { KeyChangeListener } from './key-store.js';

export interface RedisKeyChangesOptions {
  /** The data client; the subscriber is its duplicate, owned (and closed) here. */
  redis: Redis | Cluster;
  channel: string;
  /** The change counter every change script increments. */
  seqKey: string;
  logger: Logger;
  /** How often the counter is read, as a net under the subscription. */
  checkIntervalMs?: number;
  /** With no successful check for this long, isLive() turns false and caches stand aside. */
  staleAfterMs?: number;
}

export interface RedisKeyChanges {
  onChange(listener: KeyChangeListener): () => void;
  isLive(): boolean;
  close(): Promise<void>;
}

/** Connects a lazily created client and waits until it can take commands. */
async function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === 'wait') await client.connect();
  else if (client.status !== 'ready') await once(client, 'ready');
}

/**
 * The change feed on Redis. Every change script PUBLISHes `<seq> <key id>`
 * after its write, where seq is the registry's change counter. A listener
 * hears each change by id, or "everything" (undefined) whenever a change may
 * have been missed:
 *
 * - when the subscriber (re)connects: messages sent while it was away are lost;
 * - when a message's seq is not the one after the last seen (a gap);
 * - when the counter, read every `checkIntervalMs` on the data connection,
 *   differs from the last seq seen. This catches what pub/sub alone cannot:
 *   a Cluster client re-subscribes on another node without telling anyone.
 *
 * So a change reaches every instance as fast as pub/sub delivers it, and
 * within one check interval when pub/sub fails silently; and while checks
 * fail, isLive() says so, so no cache is trusted longer than `staleAfterMs`.
 */
export async function createRedisKeyChanges(options: RedisKeyChangesOptions): Promise<RedisKeyChanges> {
  const { redis, channel, seqKey, logger, checkIntervalMs = 250, staleAfterMs = 750 } = options;
  const listeners = new Set<KeyChangeListener>();
  const notify = (keyId: string | undefined): void => {
    for (const listener of listeners) listener(keyId);
  };
  let lastSeq = 0;
  // performance.now(): the feed's freshness is about real elapsed time, whatever the injected clock says.
  let verifiedAt = -Infinity;

  const subscriber = redis.duplicate();
  subscriber.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'key change subscriber error'));
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const space = message.indexOf(' ');
    const seq = Number(message.slice(0, space));
    const keyId = message.slice(space + 1);
    // Anything but the next change in sequence may hide a missed one.
    notify(seq === lastSeq + 1 ? keyId : undefined);
    lastSeq = seq;
  });
  // Fires on every reconnect of a plain Redis subscriber; what was published meanwhile is lost.
  subscriber.on('ready', () => notify(undefined));

  const readSeq = async (): Promise<number> => Number((await redis.get(seqKey)) ?? 0);
  let checking = false;
  const check = async (): Promise<void> => {
    if (checking) return;
    checking = true;
    const sentAt = performance.now();
    try {
      const seq = await readSeq();
      if (seq !== lastSeq) {
        lastSeq = seq;
        notify(undefined);
      }
      verifiedAt = sentAt;
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'key change check failed');
    } finally {
      checking = false;
    }
  };

  try {
    await ready(subscriber);
    await subscriber.subscribe(channel);
    lastSeq = await readSeq();
    verifiedAt = performance.now();
  } catch (err) {
    subscriber.disconnect();
    throw err;
  }
  const timer = setInterval(() => void check(), checkIntervalMs);
  timer.unref();

  return {
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isLive: () => performance.now() - verifiedAt < staleAfterMs,
    async close() {
      clearInterval(timer);
      listeners.clear();
      subscriber.disconnect();
    },
  };
}
