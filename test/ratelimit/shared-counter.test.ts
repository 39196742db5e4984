import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRedisCounter, rateLimitKey } from '../../src/ratelimit/redis-counter.js';
import { createSharedCounter, type SharedCounter } from '../../src/ratelimit/shared-counter.js';
import { manualClock } from '../helpers/manual-clock.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { deleteUnder, useOutageRedis, useRedisServer } from '../helpers/redis-suite.js';

const WINDOW_MS = 60_000;
const START = Date.UTC(2026, 10, 1, 12, 0, 10);

let redis: Redis;
useRedisServer((r) => (redis = r));

/** One test's key space, and counters ("instances") on it sharing one clock. */
function scene(client: Redis = redis) {
  const keyPrefix = `${uniquePrefix('ratelimit')}ratelimit:poll:`;
  // A test's own server goes away with its data.
  if (client === redis) onTestFinished(() => deleteUnder([redis], keyPrefix));
  const clock = manualClock(START);
  const errors: unknown[] = [];
  const counter = (): SharedCounter =>
    createSharedCounter({ clock, remote: createRedisCounter({ redis: client, keyPrefix, windowMs: WINDOW_MS }), windowMs: WINDOW_MS, onError: (err) => errors.push(err) });
  /** What Redis holds for `owner` (null: no key, no open window). */
  const stored = async (owner: string): Promise<number | null> => {
    const value = await client.get(rateLimitKey(keyPrefix, owner));
    return value === null ? null : Number(value);
  };
  return { keyPrefix, clock, counter, stored, errors };
}

/** Script runs seen by Redis: each one is one INCRBY (commands a script calls are counted too). */
async function incrbys(): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_incrby:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

async function hits(counter: SharedCounter, owner: string, max: number, times: number): Promise<number[]> {
  const currents: number[] = [];
  for (let i = 0; i < times; i++) currents.push((await counter.hit(owner, max)).current);
  return currents;
}

describe('shared rate-limit counter on Redis', () => {
  it('counts a cold key in Redis, then, below half the limit, in process only until flush()', async () => {
    const { counter, stored } = scene();
    const a = counter();
    // The first request opens the window.
    expect(await a.hit('alice', 10)).toEqual({ current: 1, ttlMs: WINDOW_MS });
    expect(await stored('alice')).toBe(1);
    const before = await incrbys();
    expect(await hits(a, 'alice', 10, 3)).toEqual([2, 3, 4]);
    expect(await incrbys()).toBe(before);
    expect(await stored('alice')).toBe(1);
    await a.flush();
    expect(await stored('alice')).toBe(4);
    expect(await incrbys()).toBe(before + 1);
    // Nothing pending: a flush sends nothing.
    await a.flush();
    expect(await incrbys()).toBe(before + 1);
  });

  it('counts every request in Redis from half the limit on, with the pending ones, exactly', async () => {
    const { counter, stored } = scene();
    const a = counter();
    expect(await hits(a, 'alice', 10, 4)).toEqual([1, 2, 3, 4]);
    const before = await incrbys();
    for (const expected of [5, 6, 7, 8, 9, 10, 11, 12]) {
      expect((await a.hit('alice', 10)).current).toBe(expected);
      expect(await stored('alice')).toBe(expected);
    }
    // Over the limit is counted too, as @fastify/rate-limit's own stores do.
    expect(await incrbys()).toBe(before + 8);
  });

  it('keeps limits of 4 or less exact: every request asks Redis', async () => {
    const { counter } = scene();
    const a = counter();
    const before = await incrbys();
    expect(await hits(a, 'alice', 4, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await incrbys()).toBe(before + 6);
  });

  it('adds two instances up on one key: each sees the other through its flushes and exact calls', async () => {
    const { counter, stored } = scene();
    const [a, b] = [counter(), counter()];
    expect((await a.hit('alice', 100)).current).toBe(1);
    expect(await hits(b, 'alice', 100, 3)).toEqual([2, 3, 4]);
    await b.flush();
    expect(await stored('alice')).toBe(4);
    // A learns B's counts with its own next flush.
    expect((await a.hit('alice', 100)).current).toBe(2);
    await a.flush();
    expect(await stored('alice')).toBe(5);
    expect((await a.hit('alice', 100)).current).toBe(6);
    await Promise.all([a.flush(), b.flush()]);
    expect(await stored('alice')).toBe(6);

    // Past half, whichever instance answers counts both.
    const { counter: counter2, stored: stored2 } = scene();
    const [c, d] = [counter2(), counter2()];
    expect(await hits(c, 'bob', 10, 3)).toEqual([1, 2, 3]);
    expect(await hits(d, 'bob', 10, 3)).toEqual([2, 3, 4]);
    await c.flush();
    await d.flush();
    expect(await stored2('bob')).toBe(6);
    expect((await c.hit('bob', 10)).current).toBe(7);
    expect((await d.hit('bob', 10)).current).toBe(8);
  });

  it('with limit 10, never admits more than 10 from two instances taking turns, flushing or not', async () => {
    for (const flushEvery of [0, 1, 2, 3, 5]) {
      const { counter, stored } = scene();
      const instances = [counter(), counter()];
      let admitted = 0;
      for (let i = 0; i < 30; i++) {
        if ((await instances[i % 2]!.hit('alice', 10)).current <= 10) admitted++;
        if (flushEvery > 0 && i % flushEvery === 0) await instances[(i + 1) % 2]!.flush();
      }
      expect(admitted, `flushing every ${flushEvery}`).toBe(10);
      await Promise.all(instances.map((c) => c.flush()));
      expect(await stored('alice')).toBe(30);
    }
  });

  it('counts requests still waiting for Redis, so a burst of concurrent requests cannot all look cheap', async () => {
    const { counter, stored } = scene();
    const a = counter();
    // Cold: every one of them asks Redis.
    const cold = await Promise.all(Array.from({ length: 5 }, () => a.hit('alice', 100)));
    expect(cold.map((h) => h.current).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5]);
    const b = counter();
    await b.hit('bob', 10);
    const burst = await Promise.all(Array.from({ length: 8 }, () => b.hit('bob', 10)));
    // Three local (2, 3, 4), then each asks Redis with everything before it counted: no answer repeats.
    expect(burst.map((h) => h.current).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await stored('bob')).toBe(9);
  });

  it("ends a window when Redis does: a later instance learns the time left, and the count starts over after it", async () => {
    const { counter, stored, clock, keyPrefix } = scene();
    const [a, b] = [counter(), counter()];
    expect(await hits(a, 'alice', 4, 5)).toEqual([1, 2, 3, 4, 5]);
    const key = rateLimitKey(keyPrefix, 'alice');
    expect(await redis.pttl(key)).toBeGreaterThan(WINDOW_MS - 5_000);
    // Redis time is Redis's own: stand in for 30 s passing there.
    await redis.pexpire(key, 30_000);
    const joined = await b.hit('alice', 4);
    expect(joined.current).toBe(6);
    expect(joined.ttlMs).toBeLessThanOrEqual(30_000);
    expect(joined.ttlMs).toBeGreaterThan(25_000);
    // The window is over in Redis and on the clock: both instances start from one again.
    await redis.del(key);
    clock.advance(WINDOW_MS);
    expect(await a.hit('alice', 4)).toEqual({ current: 1, ttlMs: WINDOW_MS });
    expect((await b.hit('alice', 4)).current).toBe(2);
    expect(await stored('alice')).toBe(2);
  });

  it('drops the unsent counts of a window that has ended, and forgets it', async () => {
    const { counter, clock, stored } = scene();
    const a = counter();
    expect(await hits(a, 'alice', 100, 3)).toEqual([1, 2, 3]);
    clock.advance(WINDOW_MS);
    await a.flush();
    // The two counted in process limited nothing once their window was over.
    expect(await stored('alice')).toBe(1);
    // A new window, a cold key again: its first request is an exact one.
    const before = await incrbys();
    expect((await a.hit('alice', 100)).current).toBe(2);
    expect(await incrbys()).toBe(before + 1);
  });

  it('treats hostile owner names as ordinary keys', async () => {
    const { counter, stored } = scene();
    const a = counter();
    const owners = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'a:1', 'a', 'team {eu}'];
    for (const owner of owners) expect(await hits(a, owner, 4, 2), owner).toEqual([1, 2]);
    for (const owner of owners) expect(await stored(owner), owner).toBe(2);
    // No two owners share a key.
    expect(new Set(owners.map((o) => rateLimitKey('p:', o))).size).toBe(owners.length);
    expect(({} as Record<string, unknown>).remote).toBeUndefined();
  });
});

describe('rate-limit counter without Redis (memory store)', () => {
  it('counts exactly in process, per owner and window, hostile names included', async () => {
    const clock = manualClock(START);
    const counter = createSharedCounter({ clock, remote: null, windowMs: WINDOW_MS });
    expect(await hits(counter, 'alice', 10, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await hits(counter, '__proto__', 10, 2)).toEqual([1, 2]);
    expect(await hits(counter, 'constructor', 10, 2)).toEqual([1, 2]);
    await counter.flush();
    clock.advance(1_000);
    expect(await counter.hit('alice', 10)).toEqual({ current: 13, ttlMs: WINDOW_MS - 1_000 });
    // The window opened with alice's first request ends a minute after it.
    clock.advance(WINDOW_MS - 1_000);
    await counter.flush();
    expect(await counter.hit('alice', 10)).toEqual({ current: 1, ttlMs: WINDOW_MS });
  });
});

describe('shared rate-limit counter while Redis is down', () => {
  it('rejects what must ask Redis, answers the rest, never throws from flush(), and sends the counts once Redis is back', async () => {
    const { outage, client } = await useOutageRedis();
    const { counter, errors, stored } = scene(client);
    const a = counter();
    expect((await a.hit('alice', 100)).current).toBe(1);
    await outage.halt();
    await expect.poll(() => client.status).not.toBe('ready');
    // Below half: answered in process, as always.
    expect(await hits(a, 'alice', 100, 2)).toEqual([2, 3]);
    // A cold key must ask Redis: the plugin lets such a request go on (skipOnError).
    await expect(a.hit('bob', 100)).rejects.toThrow();
    await expect(a.flush()).resolves.toBeUndefined();
    expect(errors.length).toBeGreaterThanOrEqual(2);

    await outage.restart();
    await expect.poll(() => client.status, { timeout: 10_000 }).toBe('ready');
    await a.flush();
    // The restarted server kept nothing (no persistence): what arrives is exactly what was counted during the outage.
    expect(await stored('alice')).toBe(2);
    expect(await stored('bob')).toBe(1);
  });
});
