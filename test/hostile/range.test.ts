import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type OpenAIShapedFake } from '../fakes/openai-upstream.js';
import type { RunningReelay } from '../helpers/reelay.js';
import { assertEnvelope, assertStillServing, call, type Reply, snapshotPrototypes, startHostile, UPSTREAM_KEYS, waitCompleted } from './support.js';

/**
 * Spec F: Range abuse on GET /v1/videos/{id}/content, for bytes Reelay serves
 * itself (sandbox) and bytes it relays from an HTTP provider (a fake OpenAI).
 */

const prototypes = snapshotPrototypes();
let fake: OpenAIShapedFake;
let reelay: RunningReelay;
/** Per source: the video id and its full content (fetched once without Range). */
const sources: Record<'sandbox' | 'upstream', { id: string; full: Buffer }> = {} as never;

beforeAll(async () => {
  fake = await startFakeOpenAI({ keys: [...UPSTREAM_KEYS] });
  reelay = await startHostile({ upstreamUrl: fake.url });
  const client = reelay.client();
  const [s, u] = await Promise.all([
    client.videos.create({ prompt: 'range over sandbox bytes', model: 'sandbox-video' }),
    client.videos.create({ prompt: 'range over upstream bytes', model: 'upstream-video' }),
  ]);
  await Promise.all([waitCompleted(client, s.id), waitCompleted(client, u.id)]);
  for (const [name, id] of [['sandbox', s.id], ['upstream', u.id]] as const) {
    const res = await call(reelay, 'GET', `/v1/videos/${id}/content`);
    expect(res.status, res.text.slice(0, 200)).toBe(200);
    sources[name] = { id, full: res.body };
  }
  // The upstream bytes are the fake's, byte for byte.
  const job = [...fake.jobs.values()].find((j) => j.prompt === 'range over upstream bytes')!;
  expect(sources.upstream.full.equals(fake.bytes(job.id))).toBe(true);
});
afterAll(async () => {
  await reelay?.close();
  await fake?.close();
});

const content = (source: 'sandbox' | 'upstream', range: string) => call(reelay, 'GET', `/v1/videos/${sources[source].id}/content`, { headers: { range } });

function assertPartial(res: Reply, full: Buffer, start: number, end: number): void {
  expect(res.status, `${res.status} ${res.text.slice(0, 200)}`).toBe(206);
  expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${full.length}`);
  expect(Number(res.headers['content-length'])).toBe(res.body.length);
  expect(res.body.length).toBe(end - start + 1);
  expect(res.body.equals(full.subarray(start, end + 1))).toBe(true);
}

function assertWhole(res: Reply, full: Buffer): void {
  expect(res.status, `${res.status} ${res.text.slice(0, 200)}`).toBe(200);
  expect(res.headers['content-range']).toBeUndefined();
  expect(Number(res.headers['content-length'])).toBe(res.body.length);
  expect(res.body.equals(full)).toBe(true);
}

type Check = (res: Reply, full: Buffer) => void;
const unsatisfiable: Check = (res, full) => {
  assertEnvelope(res, { status: 416, code: 'range_not_satisfiable' });
  expect(res.headers['content-range']).toBe(`bytes */${full.length}`);
};
const whole: Check = assertWhole;

const CASES: [range: string, check: Check][] = [
  ['bytes=999999999-', unsatisfiable],
  ['bytes=-0', unsatisfiable],
  ['bytes=5-2', unsatisfiable],
  ['bytes=abc', whole],
  ['bytes=0-0,5-9', whole],
  ['items=0-5', whole],
  ['', whole],
  ['bytes=0-', (res, full) => assertPartial(res, full, 0, full.length - 1)],
  ['bytes=0-99999999999999999999', (res, full) => assertPartial(res, full, 0, full.length - 1)],
  ['bytes=-5', (res, full) => assertPartial(res, full, full.length - 5, full.length - 1)],
  ['bytes=-99999999', (res, full) => assertPartial(res, full, 0, full.length - 1)],
  ['bytes=10-19', (res, full) => assertPartial(res, full, 10, 19)],
];

describe.each([['sandbox' as const], ['upstream' as const]])('F Range on %s content', (source) => {
  it.each(CASES)('Range: %j', async (range, check) => {
    check(await content(source, range), sources[source].full);
  });
});

describe('after the Range corpus', () => {
  it('is still alive and answering, prototypes untouched, no provider key ever sent back', async () => {
    await assertStillServing(reelay, prototypes);
    const res = await call(reelay, 'GET', `/v1/videos/${sources.upstream.id}`);
    for (const key of UPSTREAM_KEYS) expect(res.text).not.toContain(key);
  });
});
