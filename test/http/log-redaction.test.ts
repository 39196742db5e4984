import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { Writable } from 'node:stream';

let reelay: RunningReelay;

beforeAll(async () => {
  reelay = await startReelay({ yaml: sandboxYaml(), logLevel: 'trace' });
});
afterAll(() => reelay.close());

it('never writes a gateway key, valid or not, to the logs', async () => {
  const wrongKey = 'sk-wrong-secret-555555555';
  const client = reelay.client();
  const video = await client.videos.create({ prompt: 'p' });
  await client.videos.retrieve(video.id);
  await reelay.client(wrongKey).videos.list().catch(() => undefined);
  const logs = reelay.logs.join('\n');
  expect(reelay.logs.length).toBeGreaterThan(5);
  expect(logs).toContain(video.id);
  expect(logs).not.toContain(TEST_KEY);
  expect(logs).not.toContain(wrongKey);
});

it('censors authorization headers and api keys should any code path log them', () => {
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
  logger.info({ req: { headers: { authorization: `Bearer ${TEST_KEY}` } }, provider: { api_keys: ['up-secret-1'], api_key: 'up-secret-2' } }, 'x');
  expect(lines.join('')).not.toMatch(/sk-test|up-secret/);
  expect(lines.join('')).toContain('[redacted]');
});
