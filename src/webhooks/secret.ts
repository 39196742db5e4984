import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Webhook signing secrets in the Standard Webhooks form: `whsec_` and the
 * base64 of the HMAC key. The spec asks for 24 to 64 random bytes; Reelay
 * mints 32, the size of the HMAC-SHA256 block's natural key.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const MINTED_BYTES = 32;
const MIN_BYTES = 24;
const MAX_BYTES = 64;

/** A new per-key signing secret: shown once, in the admin response that set the key's webhook_url. */
export const mintWebhookSecret = (): string => `${WEBHOOK_SECRET_PREFIX}${randomBytes(MINTED_BYTES).toString('base64')}`;

/**
 * Whether `secret` is one the signer accepts and the spec allows: canonical
 * base64 (the signer's decoder is strict about padding, so a sloppy secret
 * would only fail at the first delivery) of 24 to 64 bytes.
 */
export function isUsableWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded || bytes.length < MIN_BYTES || bytes.length > MAX_BYTES) return false;
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}
