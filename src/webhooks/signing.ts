import { Webhook } from 'standardwebhooks';

/** The three Standard Webhooks headers of one attempt (a type alias, so it passes as any headers record). */
export type SignatureHeaders = {
  /** The event id: the same on every attempt, so receivers dedupe on it. */
  'webhook-id': string;
  /** Unix seconds of this attempt; receivers refuse one more than 5 minutes off. */
  'webhook-timestamp': string;
  /** `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per secret, space-separated. */
  'webhook-signature': string;
};

/**
 * Signs one attempt with `standardwebhooks`, the scheme's reference library.
 * A target two sources point at (a key's webhook_url that is also the global
 * url) gets one signature per secret in one header, as the spec allows for
 * secret rotation: a receiver holding either secret verifies.
 */
export function signWebhook(id: string, nowMs: number, body: string, secrets: readonly string[]): SignatureHeaders {
  if (secrets.length === 0) throw new Error('a webhook needs at least one secret to be signed with');
  const seconds = Math.floor(nowMs / 1000);
  const at = new Date(seconds * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': [...new Set(secrets)].map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}
