import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type APIError } from 'openai/error';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';

const PNG_PATH = new URL('../fixtures/images/ref-720x1280.png', import.meta.url);
const VIDEO_KEYS = [
  'completed_at', 'created_at', 'error', 'expires_at', 'id', 'model', 'object', 'progress',
  'prompt', 'remixed_from_video_id', 'seconds', 'size', 'status',
];

let reelay: RunningReelay;
let client: OpenAI;

beforeAll(async () => {
  reelay = await startReelay({ yaml: sandboxYaml({ generationSeconds: 30 }) });
  client = reelay.client();
});
afterAll(() => reelay.close());

const postJson = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${reelay.baseURL}/videos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /v1/videos through the official SDK (multipart)', () => {
  it('returns a queued Video with all 13 keys and OpenAI defaults', async () => {
    const video = await client.videos.create({ prompt: 'A red fox in the snow' });
    expect(Object.keys(video).sort()).toEqual(VIDEO_KEYS);
    expect(video).toMatchObject({
      object: 'video',
      status: 'queued',
      progress: 0,
      model: 'sora-2',
      seconds: '4',
      size: '720x1280',
      prompt: 'A red fox in the snow',
      completed_at: null,
      expires_at: null,
      error: null,
      remixed_from_video_id: null,
    });
    expect(video.id).toMatch(/^video_[0-9a-f]{44}$/);
    expect(Number.isInteger(video.created_at)).toBe(true);
    expect(video._request_id).toMatch(/^req_/);
  });

  it('echoes model, seconds and size as strings', async () => {
    const video = await client.videos.create({ prompt: 'p', model: 'sandbox-video', seconds: '8', size: '1280x720' });
    expect(video).toMatchObject({ model: 'sandbox-video', seconds: '8', size: '1280x720' });
  });

  it('accepts an input_reference file (toFile PNG)', async () => {
    const file = await toFile(await readFile(PNG_PATH), 'ref.png', { type: 'image/png' });
    const video = await client.videos.create({ prompt: 'animate this', input_reference: file });
    expect(video.status).toBe('queued');
  });

  it('accepts a streamed input_reference (fs.createReadStream, application/octet-stream part)', async () => {
    const video = await client.videos.create({ prompt: 'animate this', input_reference: createReadStream(PNG_PATH) });
    expect(video.status).toBe('queued');
  });

  it('accepts input_reference as {image_url} and {file_id} (bracketed multipart fields)', async () => {
    const a = await client.videos.create({ prompt: 'p', input_reference: { image_url: 'https://example.com/ref.png' } });
    const b = await client.videos.create({ prompt: 'p', input_reference: { file_id: 'file-abc123' } });
    expect([a.status, b.status]).toEqual(['queued', 'queued']);
  });

  it('keeps a storyboard prompt byte for byte, newlines included', async () => {
    const prompt = 'Shot 1:\nduration: 5sec\nScene: a lighthouse at dawn\n\nShot 2:\nduration: 5sec\nScene: waves  crash\n';
    const video = await client.videos.create({ prompt });
    expect(video.prompt).toBe(prompt);
    expect((await client.videos.retrieve(video.id)).prompt).toBe(prompt);
  });

  it('rejects an empty prompt with BadRequestError naming prompt', async () => {
    const err = await client.videos.create({ prompt: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.param).toBe('prompt');
    expect(e.type).toBe('invalid_request_error');
    expect(Object.keys(e.error as object).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it('rejects seconds the model does not support, naming seconds and listing what it does', async () => {
    const err = await client.videos.create({ prompt: 'p', seconds: '5' as '4' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).param).toBe('seconds');
    expect((err as APIError).message).toContain("'4', '8', '12'");
  });

  it('rejects an unknown size naming size', async () => {
    const err = await client.videos.create({ prompt: 'p', size: '640x480' as '720x1280' }).catch((e: unknown) => e);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).param).toBe('size');
  });

  it('rejects an unknown model with 400 naming model', async () => {
    const err = await client.videos.create({ prompt: 'p', model: 'veo-9' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).param).toBe('model');
  });

  it('rejects a file that is not a PNG, JPEG or WebP image', async () => {
    const file = await toFile(Buffer.from('GIF89a not really'), 'ref.png', { type: 'image/png' });
    const err = await client.videos.create({ prompt: 'p', input_reference: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).param).toBe('input_reference');
  });

  it('ignores X-Stainless-*, OpenAI-Organization, OpenAI-Project and unknown headers', async () => {
    const c = reelay.client(TEST_KEY, {
      organization: 'org-x',
      project: 'proj-y',
      defaultHeaders: { 'x-custom-thing': '1', 'x-stainless-poll-helper': 'true' },
    });
    expect((await c.videos.create({ prompt: 'p' })).status).toBe('queued');
  });
});

describe('POST /v1/videos with JSON (curl and the seed examples)', () => {
  it('returns the same Video shape as multipart', async () => {
    const res = await postJson({ prompt: 'tiger', model: 'sora-2', seconds: '8', size: '1280x720', input_reference: { image_url: 'https://example.com/a.png' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(VIDEO_KEYS);
    expect(body).toMatchObject({ seconds: '8', size: '1280x720', status: 'queued' });
  });

  it('rejects a JSON number for seconds with 400 naming seconds', async () => {
    const res = await postJson({ prompt: 'p', seconds: 8 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "Invalid type for 'seconds': expected a string, but got an integer instead.",
        type: 'invalid_request_error',
        param: 'seconds',
        code: 'invalid_type',
      },
    });
  });

  it('rejects a missing prompt, a string input_reference and malformed JSON with clean 400s', async () => {
    const missing = await postJson({ model: 'sora-2' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { param: string } }).error.param).toBe('prompt');

    const stringRef = await postJson({ prompt: 'p', input_reference: 'https://example.com/a.png' });
    expect(stringRef.status).toBe(400);
    expect(((await stringRef.json()) as { error: { param: string } }).error.param).toBe('input_reference');

    const broken = await postJson('{"prompt": ');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    const array = await postJson([1, 2]);
    expect(array.status).toBe(400);
  });

  it('rejects a non-image data URL', async () => {
    const res = await postJson({ prompt: 'p', input_reference: { image_url: 'data:text/plain;base64,aGk=' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('input_reference.image_url');
  });

  it('answers 415 in the envelope for an unsupported content type', async () => {
    const res = await postJson('prompt=p', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });
});
