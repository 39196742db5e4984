import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

/**
 * Memory mode keeps the shared-state semantics in one process: a background
 * poller that finishes jobs nobody polls, poll pacing headers, and
 * max_concurrent slots freed by completion and by delete.
 */

const SINGLE_KEY = 'sk-test-memory-single-1';
let reelay: RunningReelay;

beforeAll(async () => {
  reelay = await startReelay({
    yaml: sandboxYaml({
      generationSeconds: 0.4,
      // stale_ms is long: only the background poller moves a job.
      poll: '  initial_ms: 100\n  max_ms: 400\n  stale_ms: 600000\n  min_interval_ms: 50',
      keys: `  - name: alice\n    key: ${TEST_KEY}\n  - name: single\n    key: ${SINGLE_KEY}\n    max_concurrent: 1`,
    }),
  });
});
afterAll(() => reelay.close());

const storedStatus = async (id: string) => (await reelay.runtime.store.get(id))?.state.status;

describe('memory mode', () => {
  it('finishes a job in the background, with openai-poll-after-ms only while it runs', async () => {
    const created = await reelay.client().videos.create({ prompt: 'nobody polls me' }).withResponse();
    expect(Number(created.response.headers.get('openai-poll-after-ms'))).toBeGreaterThanOrEqual(50);
    const running = await reelay.client().videos.retrieve(created.data.id).withResponse();
    expect(running.data.status).not.toBe('completed');
    expect(Number(running.response.headers.get('openai-poll-after-ms'))).toBeGreaterThanOrEqual(50);
    expect(Number(running.response.headers.get('openai-poll-after-ms'))).toBeLessThanOrEqual(400);

    await eventually(async () => ((await storedStatus(created.data.id)) === 'completed' ? true : undefined));
    const done = await reelay.client().videos.retrieve(created.data.id).withResponse();
    expect(done.data.status).toBe('completed');
    expect(done.response.headers.get('openai-poll-after-ms')).toBeNull();
  });

  it('refuses a create over max_concurrent with 429 concurrency_limit_exceeded, and frees the slot on completion and on delete', async () => {
    const single = reelay.client(SINGLE_KEY);
    const first = await single.videos.create({ prompt: 'one at a time' });
    const err = (await single.videos.create({ prompt: 'too many' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('concurrency_limit_exceeded');
    expect(err.type).toBe('rate_limit_error');

    await eventually(async () => ((await storedStatus(first.id)) === 'completed' ? true : undefined));
    const second = await single.videos.create({ prompt: 'slot freed by completion' });
    await expect(single.videos.create({ prompt: 'still one at a time' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await single.videos.delete(second.id);
    const third = await single.videos.create({ prompt: 'slot freed by delete' });
    expect(third.status).toBe('queued');
  });

  it('frees the slot of a job that fails upstream', async () => {
    const single = reelay.client(SINGLE_KEY);
    await eventually(async () => ((await reelay.runtime.inflight.count('single', Date.now())) === 0 ? true : undefined));
    const failing = await single.videos.create({ prompt: 'please [fail]' });
    await eventually(async () => ((await storedStatus(failing.id)) === 'failed' ? true : undefined));
    expect((await single.videos.create({ prompt: 'after a failure' })).status).toBe('queued');
  });
});
