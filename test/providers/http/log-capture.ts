import { Writable } from 'node:stream';
import pino from 'pino';
import type { Clock } from '../../../src/clock.js';
import { loggerOptions, type Logger } from '../../../src/logger.js';

/** A real pino logger whose JSON lines land in `lines`, for "what was logged" assertions. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: string[]; entries: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const logger = pino(loggerOptions(level), sink);
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_760_000_000_000): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}
