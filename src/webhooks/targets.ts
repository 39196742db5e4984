import type { Config, KeyConfig } from '../config/schema.js';
import { configKeyId } from '../keys/ids.js';
import type { KeyStore } from '../keys/key-store.js';
import type { TaskRecord } from '../stores/task-store.js';
import type { Delivery, DeliveryTarget, Signer } from './delivery-store.js';

/**
 * Where a video's events go and what signs them. A video's targets are its
 * key's `webhook_url` and the global `webhooks.url`; they are fixed when its
 * event is first handled, one delivery per distinct URL. Secrets are read at
 * each attempt instead, so a delivery is never signed with a secret the key
 * no longer has, and no secret is ever copied into a delivery record.
 */
export interface WebhookTargets {
  /**
   * Whether a video of `owner` can have any target, decided without I/O when
   * its event is created: a config key is known; a stored key might have a
   * webhook_url, which only its record tells.
   */
  mayHaveTargets(owner: string): boolean;
  /** The key id a video is filed under, and its targets (empty: nothing to deliver). */
  resolve(record: Pick<TaskRecord, 'owner'>): Promise<{ keyId: string; targets: DeliveryTarget[] }>;
  /** The secrets that sign `delivery` now; empty when none is left (the key was revoked or its webhook_url cleared). */
  secretsFor(delivery: Pick<Delivery, 'keyId' | 'signers'>): Promise<string[]>;
}

export interface WebhookTargetsDeps {
  config: Pick<Config, 'keys' | 'webhooks'>;
  keyStore: Pick<KeyStore, 'get'>;
}

/** URLs compared as WHATWG URL serializes them, so `HTTPS://Host/x` and `https://host/x` are one target. */
const sameUrl = (a: string, b: string): boolean => new URL(a).href === new URL(b).href;

export function createWebhookTargets({ config, keyStore }: WebhookTargetsDeps): WebhookTargets {
  const global = config.webhooks;
  // Config keys file their videos under their name; every other key under its id.
  const configByOwner = new Map<string, KeyConfig>(config.keys.map((k) => [k.name, k]));
  const configById = new Map<string, KeyConfig>(config.keys.map((k) => [configKeyId(k.name), k]));

  /** A key's own secret. A config key without one signs with the global secret (the config schema makes sure there is one). */
  const keySecret = async (keyId: string): Promise<string | undefined> => {
    const fromConfig = configById.get(keyId);
    if (fromConfig) return fromConfig.webhook_secret ?? global.secret;
    return (await keyStore.get(keyId))?.webhookSecret;
  };

  return {
    mayHaveTargets(owner) {
      const fromConfig = configByOwner.get(owner);
      return global.url !== undefined || !fromConfig || fromConfig.webhook_url !== undefined;
    },

    async resolve({ owner }) {
      const fromConfig = configByOwner.get(owner);
      const keyId = fromConfig ? configKeyId(fromConfig.name) : owner;
      const keyUrl = fromConfig ? fromConfig.webhook_url : (await keyStore.get(owner))?.settings.webhook_url;
      const targets: DeliveryTarget[] = [];
      if (keyUrl !== undefined) targets.push({ url: keyUrl, signers: ['key'] });
      if (global.url !== undefined) {
        if (keyUrl !== undefined && sameUrl(keyUrl, global.url)) targets[0] = { url: keyUrl, signers: ['key', 'global'] };
        else targets.push({ url: global.url, signers: ['global'] });
      }
      return { keyId, targets };
    },

    async secretsFor({ keyId, signers }) {
      const secrets = await Promise.all(signers.map((s: Signer) => (s === 'global' ? global.secret : keySecret(keyId))));
      return secrets.filter((s): s is string => s !== undefined);
    },
  };
}
