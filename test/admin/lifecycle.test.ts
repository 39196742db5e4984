import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditListSchema, GatewayKeyWithSecretSchema } from '../../src/admin/schemas.js';
import { manualClock } from '../helpers/manual-clock.js';
import { startReelay, type RunningReelay } from '../helpers/reelay.js';
import { keysUnder, useRedisServer } from '../helpers/redis-suite.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { redisStore } from '../helpers/shared-state.js';
import { adminClient, adminYaml, msUntil, type AdminClient } from './support.js';

/**
 * A key's whole life through the admin API and the official SDK, on two
 * Reelay instances sharing one Redis and one injected clock: every change
 * made through A must hold on B within 1 s (measured), and no secret may
 * appear anywhere but in the one answer that minted it.
 */

const clock = manualClock(Date.now());
let redis: Redis;
useRedisServer((r) => (redis = r));
let prefix: string;
let a: RunningReelay;
let b: RunningReelay;
let adminA: AdminClient;
let adminB: AdminClient;
/** Every /v1 response body, as the SDK read it. */
const v1Texts: string[] = [];
/** Every secret the test minted, with the one response that may show it. */
const minted: Array<{ secret: string; shownIn: string }> = [];
const measured: Record<string, Record<'A' | 'B', number>> = {};

const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  v1Texts.push(await res.clone().text());
  return res;
};
const sdk = (instance: RunningReelay, secret: string) => instance.client(secret, { fetch: recordingFetch });
/** What a list call with this secret gets on this instance: 'ok', or the SDK error's code. */
const outcome = (instance: RunningReelay, secret: string): Promise<string> =>
  sdk(instance, secret)
    .videos.list()
    .then(
      () => 'ok',
      (err: InstanceType<typeof OpenAI.APIError>) => String(err.code ?? err.status),
    );

beforeAll(async () => {
  prefix = uniquePrefix('lifecycle');
  const yaml = adminYaml({ store: redisStore(`redis://127.0.0.1:${redis.options.port}`, prefix) });
  // Trace level: whatever any code path logs is in the grep below.
  [a, b] = await Promise.all([startReelay({ yaml, clock, logLevel: 'trace' }), startReelay({ yaml, clock, logLevel: 'trace' })]);
  [adminA, adminB] = [adminClient(a), adminClient(b)];
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  console.log(`admin change held on each instance after (ms): ${JSON.stringify(measured)}`);
});

async function mint(path: string, body?: unknown) {
  const res = await adminA.request('POST', path, body);
  expect(res.status, res.text).toBeLessThan(300);
  const key = GatewayKeyWithSecretSchema.parse(res.json);
  minted.push({ secret: key.secret, shownIn: res.text });
  return key;
}

/** Makes a change through A, then measures how long until `secret` gets `expected` on each instance. */
async function holdsWithin1s(label: string, change: () => Promise<unknown>, secret: string, expected: string): Promise<void> {
  const started = performance.now();
  await change();
  const [onA, onB] = await Promise.all([a, b].map((instance) => msUntil(async () => (await outcome(instance, secret)) === expected, started)));
  measured[label] = { A: Math.round(onA! * 10) / 10, B: Math.round(onB! * 10) / 10 };
  expect(onA).toBeLessThan(1000);
  expect(onB).toBeLessThan(1000);
}

describe('a key made through the admin API', () => {
  let id: string;
  let secret: string;
  let videoId: string;

  it('works at once on both instances with the official SDK, and owns its videos by id', async () => {
    const key = await mint('/keys', { name: 'sdk-user', poll_rpm: 100_000, metadata: { team: 'video' } });
    ({ id, secret } = key);
    const video = await sdk(a, secret).videos.create({ prompt: 'made with a dynamic key', model: 'sora-2' });
    videoId = video.id;
    expect((await sdk(b, secret).videos.retrieve(video.id)).id).toBe(video.id);
    expect((await sdk(b, secret).videos.list()).data.map((v) => v.id)).toEqual([video.id]);
    expect((await b.runtime.store.get(video.id))?.owner).toBe(id);
    // Another key never sees it.
    await expect(sdk(b, (await mint('/keys', { name: 'stranger' })).secret).videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('narrowing its models makes the next create a 403 PermissionDeniedError on both instances within 1 s', async () => {
    const refusedOn = async (instance: RunningReelay) =>
      sdk(instance, secret)
        .videos.create({ prompt: 'p', model: 'sora-2' })
        .then(() => false, (err: unknown) => err instanceof OpenAI.PermissionDeniedError);
    const started = performance.now();
    await adminA.request('PATCH', `/keys/${id}`, { models: ['sandbox-video'] });
    const [onA, onB] = await Promise.all([a, b].map((instance) => msUntil(() => refusedOn(instance), started)));
    measured['models narrowed'] = { A: Math.round(onA! * 10) / 10, B: Math.round(onB! * 10) / 10 };
    expect(onB).toBeLessThan(1000);
    const allowed = await sdk(b, secret).videos.create({ prompt: 'still allowed', model: 'sandbox-video' });
    expect(allowed.model).toBe('sandbox-video');
  });

  it('rotated, both secrets work on both instances until the grace period ends (injected clock), then only the new one', async () => {
    const rotated = await mint(`/keys/${id}/rotate`, { grace_seconds: 3600 });
    expect(rotated.previous_secret_expires_at).toBe(Math.floor(clock.now() / 1000) + 3600);
    for (const instance of [a, b]) {
      expect(await outcome(instance, secret)).toBe('ok');
      expect(await outcome(instance, rotated.secret)).toBe('ok');
    }
    clock.advance(3_599_000);
    expect(await outcome(b, secret)).toBe('ok');
    clock.advance(1000);
    for (const instance of [a, b]) {
      expect(await outcome(instance, secret)).toBe('invalid_api_key');
      expect(await outcome(instance, rotated.secret)).toBe('ok');
    }
    // Same key, same videos: ownership survives rotation.
    expect((await sdk(b, rotated.secret).videos.retrieve(videoId)).id).toBe(videoId);
    secret = rotated.secret;
  });

  it('rotated without grace, the old secret stops on both instances within 1 s', async () => {
    const old = secret;
    let fresh = '';
    await holdsWithin1s('rotate, grace 0', async () => (fresh = (await mint(`/keys/${id}/rotate`, { grace_seconds: 0 })).secret), old, 'invalid_api_key');
    expect(await outcome(b, fresh)).toBe('ok');
    secret = fresh;
  });

  it('disabled, it gets 401 key_disabled on both instances within 1 s; enabled, it works again', async () => {
    await holdsWithin1s('disable', () => adminA.request('PATCH', `/keys/${id}`, { disabled: true }), secret, 'key_disabled');
    await holdsWithin1s('enable', () => adminA.request('PATCH', `/keys/${id}`, { disabled: false }), secret, 'ok');
  });

  it('expired, it gets 401 key_expired on both instances within 1 s', async () => {
    await holdsWithin1s('expire', () => adminA.request('PATCH', `/keys/${id}`, { expires_at: Math.floor(clock.now() / 1000) }), secret, 'key_expired');
    await adminA.request('PATCH', `/keys/${id}`, { expires_at: null });
    expect(await outcome(b, secret)).toBe('ok');
  });

  it('revoked, it gets 401 invalid_api_key on both instances within 1 s', async () => {
    await holdsWithin1s('revoke', () => adminA.request('DELETE', `/keys/${id}`), secret, 'invalid_api_key');
    const err = await sdk(b, secret).videos.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('left an audit trail readable from either instance', async () => {
    const audit = AuditListSchema.parse((await adminB.request('GET', '/audit?limit=100')).json);
    const mine = audit.data.filter((e) => e.key_id === id).reverse();
    expect(mine.map((e) => e.action)).toEqual([
      'key.create',
      'key.update',
      'key.rotate',
      'key.rotate',
      'key.update',
      'key.update',
      'key.update',
      'key.update',
      'key.revoke',
    ]);
    expect(mine.every((e) => e.actor === 'root' && e.client_ip === '127.0.0.1' && /^req_/.test(e.request_id ?? ''))).toBe(true);
    expect(mine[1]!.changes).toEqual({ models: ['sandbox-video'] });
    expect(mine[4]!.changes).toEqual({ disabled: true });
  });

  it('never showed a secret anywhere but in the one answer that minted it: logs, responses, audit, Redis', async () => {
    expect(minted.length).toBe(4);
    const responses = [...adminA.texts, ...adminB.texts, ...v1Texts];
    const logs = [...a.logs, ...b.logs].join('\n');
    expect(a.logs.length + b.logs.length).toBeGreaterThan(50);
    const audit = (await adminB.request('GET', '/audit?limit=100')).text;
    const stored: string[] = [];
    for (const key of await keysUnder(redis, prefix)) {
      const type = await redis.type(key);
      if (type === 'hash') stored.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'stream') stored.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      else if (type === 'zset') stored.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      else if (type === 'string') stored.push((await redis.get(key)) ?? '');
    }
    expect(stored.join('').length).toBeGreaterThan(0);
    for (const { secret, shownIn } of minted) {
      expect(responses.filter((text) => text.includes(secret))).toEqual([shownIn]);
      expect(logs).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(stored.join('\n')).not.toContain(secret);
    }
  });
});
