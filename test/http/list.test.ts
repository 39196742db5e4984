import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

const clock = manualClock();
let reelay: RunningReelay;
let client: OpenAI;
const created: string[] = [];
const requestedUrls: string[] = [];

beforeAll(async () => {
  reelay = await startReelay({ yaml: sandboxYaml(), clock });
  client = reelay.client(TEST_KEY, {
    fetch: (url, init) => {
      requestedUrls.push(String(url));
      return fetch(url, init);
    },
  });
  // Seven videos, pairs of them created in the same millisecond: ties are
  // broken by id, so creation order is id order.
  for (let i = 0; i < 7; i++) {
    if (i % 2 === 0) clock.advance(1000);
    created.push((await client.videos.create({ prompt: `video ${i}` })).id);
  }
  created.sort();
});
afterAll(() => reelay.close());

describe('GET /v1/videos', () => {
  it('answers the list envelope with first_id, last_id and has_more', async () => {
    const res = await fetch(`${reelay.baseURL}/videos?limit=2`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    const body = (await res.json()) as { object: string; data: { id: string }[]; first_id: string; last_id: string; has_more: boolean };
    expect(Object.keys(body).sort()).toEqual(['data', 'first_id', 'has_more', 'last_id', 'object']);
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(2);
    expect(body.first_id).toBe(body.data[0]!.id);
    expect(body.last_id).toBe(body.data[1]!.id);
    expect(body.has_more).toBe(true);
  });

  it('defaults to newest first', async () => {
    const page = await client.videos.list();
    expect(page.data.map((v) => v.id)).toEqual([...created].reverse());
  });

  it('visits every video exactly once with for await across pages, sending after=<last_id>', async () => {
    requestedUrls.length = 0;
    const seen: string[] = [];
    for await (const v of client.videos.list({ limit: 2 })) seen.push(v.id);
    expect(seen).toEqual([...created].reverse());
    expect(requestedUrls).toHaveLength(4);
    expect(new URL(requestedUrls[1]!).searchParams.get('after')).toBe(seen[1]);
  });

  it('orders asc and desc by created_at, never including the after cursor', async () => {
    const asc: OpenAI.Videos.Video[] = [];
    for await (const v of client.videos.list({ order: 'asc', limit: 3 })) asc.push(v);
    expect(asc.map((v) => v.id)).toEqual(created);
    expect(asc.map((v) => v.created_at)).toEqual([...asc.map((v) => v.created_at)].sort((a, b) => a - b));

    const after = await client.videos.list({ order: 'asc', after: created[2]! });
    expect(after.data.map((v) => v.id)).toEqual(created.slice(3));
    const before = await client.videos.list({ order: 'desc', after: created[2]! });
    expect(before.data.map((v) => v.id)).toEqual(created.slice(0, 2).reverse());
  });

  it('accepts limit 100 and rejects 0, 101 and a bad order with BadRequestError', async () => {
    expect((await client.videos.list({ limit: 100 })).data).toHaveLength(created.length);
    for (const query of [{ limit: 101 }, { limit: 0 }, { order: 'sideways' as 'asc' }]) {
      const err = await client.videos.list(query).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    }
  });
});
