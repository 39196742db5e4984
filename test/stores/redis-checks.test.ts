import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { checkRedis } from '../../src/stores/redis-checks.js';
import { startRedisServer } from '../helpers/redis-server.js';

/** The start-up checks against real redis-servers started with the settings they look for. */

async function check(args: string[]): Promise<Array<Record<string, unknown>>> {
  const server = await startRedisServer({ args });
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  try {
    await checkRedis(redis, server.url, createLogger('info', sink));
    return lines;
  } finally {
    await redis.quit();
    await server.stop();
  }
}

describe('Redis start-up checks', () => {
  it('logs the server version and address, and stays quiet about a Redis that persists and never evicts', async () => {
    const lines = await check(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
    expect(lines).toEqual([expect.objectContaining({ level: 'info', msg: 'connected to Redis', version: expect.stringMatching(/^\d+\.\d+/), appendonly: 'yes', 'maxmemory-policy': 'noeviction' })]);
  });

  it('warns when appendonly is off', async () => {
    const lines = await check(['--appendonly', 'no']);
    expect(lines.some((l) => l.level === 'warn' && String(l.msg).includes('appendonly off'))).toBe(true);
  });

  it('warns when the maxmemory policy evicts', async () => {
    const lines = await check(['--appendonly', 'yes', '--maxmemory-policy', 'allkeys-lru']);
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({ maxmemoryPolicy: 'allkeys-lru' });
  });
});
