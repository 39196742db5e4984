import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { mintWebhookSecret } from '../../src/webhooks/secret.js';
import { privateWebhooksBeyondLoopback } from '../../src/startup-banner.js';
import { ROOT } from '../helpers/process.js';
import { sandboxYaml } from '../helpers/reelay.js';

/** The webhook parts of the config: a key's webhook_url must be signable, and every secret usable. */

const SECRET = mintWebhookSecret();
const yaml = (key: string, webhooks = '') => `${sandboxYaml({ keys: `  - name: dev\n    key: sk-test-dev-00000001\n${key}` })}${webhooks}\n`;

const problemsOf = (text: string): readonly string[] => {
  try {
    parseConfig(text, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('webhook config', () => {
  it('refuses a config key with webhook_url but nothing to sign with, naming the fix', () => {
    expect(problemsOf(yaml('    webhook_url: https://hooks.example.com/x'))).toEqual([
      'keys[0].webhook_secret: a key with webhook_url needs webhook_secret (whsec_…) to sign its webhooks, or set webhooks.secret to sign them with that',
    ]);
  });

  it('takes its own webhook_secret, or the global secret', () => {
    expect(problemsOf(yaml(`    webhook_url: https://hooks.example.com/x\n    webhook_secret: ${SECRET}`))).toEqual([]);
    expect(problemsOf(yaml('    webhook_url: https://hooks.example.com/x', `webhooks:\n  secret: ${SECRET}`))).toEqual([]);
  });

  it('refuses a webhook_url that is not http(s), and a secret the signer could not use', () => {
    expect(problemsOf(yaml(`    webhook_url: ftp://hooks.example.com/x\n    webhook_secret: ${SECRET}`))[0]).toMatch(/^keys\[0\]\.webhook_url: /);
    expect(problemsOf(yaml('    webhook_secret: whsec_c2hvcnQ='))).toEqual([
      'keys[0].webhook_secret: a webhook secret is whsec_ followed by the base64 of 24 to 64 random bytes',
    ]);
    expect(problemsOf(yaml('', 'webhooks:\n  secret: whsec_abc'))).toEqual(['webhooks.secret: a webhook secret is whsec_ followed by the base64 of 24 to 64 random bytes']);
  });

  it('keeps a config key webhook_secret as given', () => {
    const config = parseConfig(yaml(`    webhook_url: https://hooks.example.com/x\n    webhook_secret: ${SECRET}`), {});
    expect(config.keys[0]!.webhook_secret).toBe(SECRET);
  });
});

describe('allow_private and the address Reelay listens on', () => {
  const embedded = readFileSync(join(ROOT, 'config', 'reelay.yaml'), 'utf8');

  it('is on in the embedded default, which listens on loopback only, and off with REELAY_WEBHOOKS_ALLOW_PRIVATE=false', () => {
    expect(parseConfig(embedded, {}).webhooks.allow_private).toBe(true);
    expect(privateWebhooksBeyondLoopback(parseConfig(embedded, {}))).toBe(false);
    expect(parseConfig(embedded, { REELAY_WEBHOOKS_ALLOW_PRIVATE: 'false' }).webhooks.allow_private).toBe(false);
  });

  it('is flagged for a start-up warning when on beyond loopback', () => {
    expect(privateWebhooksBeyondLoopback(parseConfig(embedded, { REELAY_HOST: '0.0.0.0' }))).toBe(true);
    expect(privateWebhooksBeyondLoopback(parseConfig(embedded, { REELAY_HOST: '0.0.0.0', REELAY_WEBHOOKS_ALLOW_PRIVATE: 'false' }))).toBe(false);
  });
});
