import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isUsableWebhookSecret, mintWebhookSecret } from '../../src/webhooks/secret.js';
import { signWebhook } from '../../src/webhooks/signing.js';

/** Signatures as the official SDK and the scheme's reference library check them. */

const sdk = new OpenAI({ apiKey: 'x' });
const event = { id: 'evt_019a3f0c2e00a1b2c3d4e5f60718', object: 'event', created_at: 1_764_590_400, type: 'video.completed', data: { id: 'video_abc' } };
const body = JSON.stringify(event);

describe('webhook signatures', () => {
  it('verify with client.webhooks.unwrap and with standardwebhooks', async () => {
    const secret = mintWebhookSecret();
    const headers = signWebhook(event.id, Date.now(), body, [secret]);
    expect(headers['webhook-id']).toBe(event.id);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(await sdk.webhooks.unwrap(body, headers, secret)).toEqual(event);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(event);
  });

  it('fail with another secret, another body or a stale timestamp', async () => {
    const secret = mintWebhookSecret();
    const headers = signWebhook(event.id, Date.now(), body, [secret]);
    await expect(sdk.webhooks.unwrap(body, headers, mintWebhookSecret())).rejects.toBeInstanceOf(OpenAI.InvalidWebhookSignatureError);
    await expect(sdk.webhooks.unwrap(body.replace('video_abc', 'video_abd'), headers, secret)).rejects.toBeInstanceOf(OpenAI.InvalidWebhookSignatureError);
    const stale = signWebhook(event.id, Date.now() - 301_000, body, [secret]);
    await expect(sdk.webhooks.unwrap(body, stale, secret)).rejects.toThrow('Webhook timestamp is too old');
  });

  it('carry one signature per secret, so a receiver holding either verifies', async () => {
    const [a, b] = [mintWebhookSecret(), mintWebhookSecret()];
    const headers = signWebhook(event.id, Date.now(), body, [a, b, a]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [a, b]) expect(await sdk.webhooks.unwrap(body, headers, secret)).toEqual(event);
  });

  it('use secrets of 24 to 64 bytes in canonical base64', () => {
    expect(mintWebhookSecret()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(isUsableWebhookSecret(mintWebhookSecret())).toBe(true);
    expect(isUsableWebhookSecret(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toBe(true);
    expect(isUsableWebhookSecret(`whsec_${Buffer.alloc(16, 1).toString('base64')}`)).toBe(false);
    expect(isUsableWebhookSecret(`whsec_${Buffer.alloc(65, 1).toString('base64')}`)).toBe(false);
    expect(isUsableWebhookSecret(`whsec_${Buffer.alloc(32, 1).toString('base64').replace('=', '')}`)).toBe(false);
    expect(isUsableWebhookSecret(Buffer.alloc(32, 1).toString('base64'))).toBe(false);
  });
});
