import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type OpenAIShapedFake } from '../fakes/openai-upstream.js';
import { buildDist, runMain, type ReelayProcess } from '../helpers/process.js';
import { eventually } from '../helpers/reelay.js';
import { startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { providerYaml } from '../providers/support/e2e-env.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';

/**
 * The outbox survives SIGKILL. Instance A writes a video's terminal state and
 * starts both of its handlers: the custody copy (whose download the upstream
 * holds open) and the webhook (whose receiver holds the request). A is killed
 * in that moment, with neither handler finished. Instance B, started on the
 * same Redis and storage, picks the event up after the poll lease: the
 * webhook arrives again with the same `webhook-id` and verifies with the
 * official SDK, and the video is served from storage.
 */

const CLIENT_KEY = 'sk-sigkill-client-0123456789';
const ADMIN_KEY = 'sk-sigkill-admin-0123456789';
const UPSTREAM_KEY = 'sk-upstream-sigkill-0001';
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let redis: RedisServer;
let fake: OpenAIShapedFake;
let receiver: Receiver;
let config: string;
const running: ReelayProcess[] = [];

beforeAll(async () => {
  buildDist();
  [redis, fake, receiver] = await Promise.all([startRedisServer(), startFakeOpenAI({ keys: [UPSTREAM_KEY] }), startReceiver()]);
  const dir = await mkdtemp(join(tmpdir(), 'reelay-sigkill-'));
  config = join(dir, 'reelay.yaml');
  await writeFile(
    config,
    `server:
  port: 0
store:
  type: redis
  url: ${redis.url}
  prefix: "${uniquePrefix('sigkill')}"
storage:
  type: fs
  dir: ${join(dir, 'content')}
keys:
  - name: svc
    key: ${CLIENT_KEY}
admin:
  keys:
    - name: root
      key: ${ADMIN_KEY}
webhooks:
  url: ${receiver.url('/hook')}
  secret: ${WEBHOOK_SECRET}
  allow_private: true
  timeout_ms: 60000
poll:
  initial_ms: 100
  max_ms: 200
  stale_ms: 0
  min_interval_ms: 0
  lease_ms: 1500
providers:
${providerYaml('openai', 'up-sigkill', fake.url, [UPSTREAM_KEY], { timeoutMs: 60_000 })}models:
  sora-2:
    - provider: up-sigkill
`,
  );
}, 120_000);
afterAll(async () => {
  for (const p of running) p.child.kill('SIGKILL');
  await Promise.all([receiver?.close(), fake?.close(), redis?.stop()]);
});

async function start(): Promise<{ p: ReelayProcess; baseURL: string }> {
  const p = runMain({ REELAY_CONFIG: config });
  running.push(p);
  const line = await p.waitForLine(/Reelay listening on/);
  return { p, baseURL: /listening on (http:\/\/\S+\/v1)/.exec(line)![1]! };
}

describe('SIGKILL right after the terminal write', () => {
  it('loses nothing: another instance delivers the webhook and stores the file', async () => {
    // A's first content download and first webhook get no answer until A is gone.
    fake.failNext('content', { status: 0, hang: true }, 1);
    receiver.answer('/hook', [{ status: 200, delayMs: 120_000 }, { status: 200 }]);

    const a = await start();
    const video = await new OpenAI({ baseURL: a.baseURL, apiKey: CLIENT_KEY, maxRetries: 0 }).videos.create({ prompt: 'outlive a kill' });

    // Both handlers are mid-flight: the event was written, neither can have finished.
    const [first] = await receiver.arrived('/hook', 1);
    await eventually(async () => (fake.requests.some((r) => r.verb === 'content') ? true : undefined));
    a.p.child.kill('SIGKILL');
    await a.p.exited;

    const b = await start();
    const client = new OpenAI({ baseURL: b.baseURL, apiKey: CLIENT_KEY, maxRetries: 0 });
    const hooks = await receiver.arrived('/hook', 2);
    expect(hooks[1]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    const sdk = new OpenAI({ apiKey: 'unused' });
    for (const hook of [first!, hooks[1]!]) {
      expect(await sdk.webhooks.unwrap(hook.body, hook.headers as Record<string, string>, WEBHOOK_SECRET)).toMatchObject({
        object: 'event',
        type: 'video.completed',
        data: { id: video.id },
      });
    }

    // The copy is B's: the download is served from storage (an ETag of the bytes' sha256).
    const upstreamId = [...fake.jobs.keys()][0]!;
    const expected = fake.bytes(upstreamId, 'video');
    const stored = await eventually(async () => {
      const res = await client.videos.downloadContent(video.id);
      return res.headers.get('etag') ? res : (await res.arrayBuffer(), undefined);
    });
    expect(Buffer.from(await stored.arrayBuffer()).equals(expected)).toBe(true);

    const deliveries = await fetch(`${b.baseURL.replace(/\/v1$/, '')}/admin/v1/webhooks/deliveries`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    // An attempt counts once its outcome is recorded: A's was cut off by the kill, so B's is the one on record.
    expect(((await deliveries.json()) as { data: unknown }).data).toMatchObject([{ video_id: video.id, status: 'delivered', attempts: 1, last_status_code: 200 }]);
    expect(receiver.received('/hook')).toHaveLength(2);
  }, 60_000);
});
