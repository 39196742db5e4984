import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/keys/audit.js';
import { mintKeyId, mintSecret, sha256 } from '../../src/keys/ids.js';
import type { KeyRecord, KeyStore, NewKeyRecord } from '../../src/keys/key-store.js';

/**
 * The behaviour every KeyStore must share (memory, Redis, Redis Cluster).
 * Each implementation's test file calls describeKeyStoreContract with a
 * factory; the suite never looks inside a store.
 */

export interface KeyStoreHarness {
  store: KeyStore;
  /** Another store on the same data, as a second instance has it (memory: the same store). */
  peer(): Promise<KeyStore>;
  cleanup(): Promise<void>;
}

export type KeyStoreFactory = () => Promise<KeyStoreHarness>;

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

export const digestOf = (secret: string): string => sha256(secret).toString('hex');

export function newKey(overrides: Partial<NewKeyRecord> = {}, secret = mintSecret()): NewKeyRecord {
  return {
    id: mintKeyId(),
    name: `key-${Math.random().toString(36).slice(2, 10)}`,
    secretDigest: digestOf(secret),
    secretTail: secret.slice(-4),
    settings: { poll_rpm: 600 },
    createdAt: T0,
    ...overrides,
  };
}

export function auditOf(action: string, keyId: string | null, changes: Record<string, unknown> = {}): AuditInput {
  return { at: Math.floor(T0 / 1000), actor: 'root', action, key_id: keyId, changes, client_ip: '127.0.0.1', request_id: 'req_test' };
}

async function created(store: KeyStore, record: NewKeyRecord): Promise<KeyRecord> {
  const result = await store.create(record, auditOf('key.create', record.id, { name: record.name }));
  if (!result.ok) throw new Error(`create failed: ${result.reason}`);
  return result.record;
}

/** Resolves with the first id (or undefined, "everything") a listener hears that matches. */
function heard(store: KeyStore, match: (keyId: string | undefined) => boolean, timeoutMs = 2000): { promise: Promise<string | undefined> } {
  const promise = new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no change heard')), timeoutMs);
    const detach = store.onChange((keyId) => {
      if (!match(keyId)) return;
      clearTimeout(timer);
      detach();
      resolve(keyId);
    });
  });
  return { promise };
}

export function describeKeyStoreContract(name: string, factory: KeyStoreFactory): void {
  describe(`KeyStore contract: ${name}`, () => {
    let h: KeyStoreHarness;
    let store: KeyStore;
    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('stores a key and finds it by id and by digest, with its audit entry', async () => {
      const secret = mintSecret();
      const record = newKey({ settings: { poll_rpm: 600, rpm: 5, models: ['sora-2'], metadata: { team: 'ops' } } }, secret);
      const result = await store.create(record, auditOf('key.create', record.id, { name: record.name, rpm: 5 }));
      expect(result).toMatchObject({ ok: true, record: { ...record, lastUsedAt: null } });
      expect(await store.get(record.id)).toEqual({ ...record, lastUsedAt: null });
      expect((await store.findByDigest(digestOf(secret)))?.id).toBe(record.id);
      expect(await store.findByDigest(digestOf(mintSecret()))).toBeUndefined();
      expect(await store.get(mintKeyId())).toBeUndefined();
      const audit = await store.listAudit({ limit: 10 });
      expect(audit.data).toEqual([{ ...auditOf('key.create', record.id, { name: record.name, rpm: 5 }), id: result.ok ? result.auditId : '' }]);
    });

    it('round-trips every setting exactly: large integers, decimals, unicode, odd metadata names', async () => {
      const settings = {
        models: ['sora-2', 'ünï 🎬'],
        rpm: Number.MAX_SAFE_INTEGER,
        poll_rpm: 1,
        max_concurrent: 3,
        seconds_per_day: 0,
        seconds_per_month: 123_456_789_012,
        usd_per_month: 12.345678901234567,
        expires_at: 4_102_444_800,
        disabled: false,
        metadata: { toString: 'y', hasOwnProperty: 'z', 'a "quoted" {tag}': 'line\nbreak' },
        webhook_url: 'https://hooks.example.com/reelay?x=1',
      };
      const record = newKey({ settings, createdAt: 1_764_590_400_123 });
      await created(store, record);
      expect((await store.get(record.id))!.settings).toStrictEqual(settings);
    });

    it('keeps names unique; a failed create changes nothing and records nothing', async () => {
      const first = await created(store, newKey({ name: 'shared name' }));
      const before = (await store.listAudit({ limit: 100 })).data.length;
      const clash = newKey({ name: 'shared name' });
      expect(await store.create(clash, auditOf('key.create', clash.id))).toEqual({ ok: false, reason: 'name_taken' });
      expect(await store.get(clash.id)).toBeUndefined();
      expect(await store.findByDigest(clash.secretDigest)).toBeUndefined();
      expect((await store.listAudit({ limit: 100 })).data).toHaveLength(before);
      await store.revoke(first.id, auditOf('key.revoke', first.id));
      expect((await store.create(clash, auditOf('key.create', clash.id))).ok).toBe(true);
    });

    it('updates field by field: sets, clears and renames, freeing the old name', async () => {
      const record = await created(store, newKey({ name: 'before', settings: { poll_rpm: 600, rpm: 5, models: ['a'], metadata: { k: 'v' } } }));
      const result = await store.update(record.id, { name: 'after', set: { rpm: 7, disabled: true }, clear: ['models', 'metadata'] }, auditOf('key.update', record.id, { rpm: 7 }));
      expect(result.ok && result.record).toMatchObject({ id: record.id, name: 'after', settings: { poll_rpm: 600, rpm: 7, disabled: true } });
      expect((await store.get(record.id))!.settings).toStrictEqual({ poll_rpm: 600, rpm: 7, disabled: true });
      expect((await store.create(newKey({ name: 'before' }), auditOf('key.create', null))).ok).toBe(true);
      expect(await store.update(record.id, { name: 'before', set: { rpm: 1 }, clear: [] }, auditOf('key.update', record.id))).toEqual({ ok: false, reason: 'name_taken' });
      expect((await store.get(record.id))!.settings.rpm).toBe(7);
      // Renaming a key to its own name is no clash.
      expect((await store.update(record.id, { name: 'after', set: {}, clear: [] }, auditOf('key.update', record.id))).ok).toBe(true);
      expect(await store.update(mintKeyId(), { set: { rpm: 1 }, clear: [] }, auditOf('key.update', null))).toEqual({ ok: false, reason: 'not_found' });
    });

    it('rotates: the old secret stays findable until it is rotated out again, or at once without grace', async () => {
      const [s1, s2, s3, s4] = [mintSecret(), mintSecret(), mintSecret(), mintSecret()];
      const record = await created(store, newKey({}, s1));
      const r2 = await store.rotate(record.id, { secretDigest: digestOf(s2), secretTail: s2.slice(-4), previousExpiresAt: T0 + 60_000 }, auditOf('key.rotate', record.id));
      expect(r2.ok && r2.record).toMatchObject({ secretDigest: digestOf(s2), secretTail: s2.slice(-4), previous: { digest: digestOf(s1), expiresAt: T0 + 60_000 } });
      for (const s of [s1, s2]) expect((await store.findByDigest(digestOf(s)))?.id).toBe(record.id);
      // Only one rotated-out secret is kept: s1 stops when s2 is rotated out.
      await store.rotate(record.id, { secretDigest: digestOf(s3), secretTail: s3.slice(-4), previousExpiresAt: T0 + 120_000 }, auditOf('key.rotate', record.id));
      expect(await store.findByDigest(digestOf(s1))).toBeUndefined();
      expect((await store.findByDigest(digestOf(s2)))?.previous).toEqual({ digest: digestOf(s2), expiresAt: T0 + 120_000 });
      const r4 = await store.rotate(record.id, { secretDigest: digestOf(s4), secretTail: s4.slice(-4) }, auditOf('key.rotate', record.id));
      expect(r4.ok && r4.record.previous).toBeUndefined();
      for (const s of [s1, s2, s3]) expect(await store.findByDigest(digestOf(s))).toBeUndefined();
      expect((await store.findByDigest(digestOf(s4)))?.id).toBe(record.id);
      expect(await store.rotate(mintKeyId(), { secretDigest: digestOf(mintSecret()), secretTail: 'abcd' }, auditOf('key.rotate', null))).toEqual({ ok: false, reason: 'not_found' });
    });

    it('revokes: every secret stops, the name is free, the answer is the key as it was', async () => {
      const [s1, s2] = [mintSecret(), mintSecret()];
      const record = await created(store, newKey({ name: 'doomed', settings: { poll_rpm: 600, rpm: 2 } }, s1));
      await store.rotate(record.id, { secretDigest: digestOf(s2), secretTail: s2.slice(-4), previousExpiresAt: T0 + 60_000 }, auditOf('key.rotate', record.id));
      await store.touch(record.id, T0);
      const result = await store.revoke(record.id, auditOf('key.revoke', record.id));
      expect(result.ok && result.record).toMatchObject({ id: record.id, name: 'doomed', settings: { rpm: 2 }, lastUsedAt: T0 });
      expect(await store.get(record.id)).toBeUndefined();
      for (const s of [s1, s2]) expect(await store.findByDigest(digestOf(s))).toBeUndefined();
      expect(await store.revoke(record.id, auditOf('key.revoke', record.id))).toEqual({ ok: false, reason: 'not_found' });
      expect((await store.create(newKey({ name: 'doomed' }), auditOf('key.create', null))).ok).toBe(true);
      expect((await store.list({ limit: 100 }))!.data.map((r) => r.id)).not.toContain(record.id);
    });

    it('lists in creation order, ties by id, page by page; an unknown cursor is undefined', async () => {
      const records = [newKey({ createdAt: T0 + 2 }), newKey({ createdAt: T0 }), newKey({ createdAt: T0 + 1 }), newKey({ createdAt: T0 + 1 }), newKey({ createdAt: T0 + 3 })];
      for (const r of records) await created(store, r);
      const expected = [...records].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map((r) => r.id);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = (await store.list({ after, limit: 2 }))!;
        seen.push(...page.data.map((r) => r.id));
        if (!page.hasMore) break;
        after = page.data.at(-1)!.id;
      }
      expect(seen).toEqual(expected);
      expect(await store.list({ limit: 5 })).toMatchObject({ hasMore: false });
      expect(await store.list({ after: mintKeyId(), limit: 5 })).toBeUndefined();
      await store.revoke(expected[1]!, auditOf('key.revoke', expected[1]!));
      expect(await store.list({ after: expected[1], limit: 5 })).toBeUndefined();
    });

    it('records a use at most once a minute; config keys count, unknown keys do not', async () => {
      const record = await created(store, newKey());
      await store.touch(record.id, T0);
      await store.touch(record.id, T0 + 59_999);
      expect((await store.get(record.id))!.lastUsedAt).toBe(T0);
      await store.touch(record.id, T0 + 60_000);
      expect((await store.get(record.id))!.lastUsedAt).toBe(T0 + 60_000);
      const [configKey, stranger] = [mintKeyId(), mintKeyId()];
      await store.touch(configKey, T0, { configKey: true });
      await store.touch(stranger, T0);
      expect(await store.lastUsed([configKey, stranger, record.id])).toEqual([T0, null, T0 + 60_000]);
      expect(await store.lastUsed([])).toEqual([]);
    });

    it('lists the audit log newest first, page by page, with entries of any kind', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await store.appendAudit(auditOf('usage.export', null, { n: i, nested: { deep: ['ü', null, 1.5] } })));
      const r = await created(store, newKey());
      const all = (await store.listAudit({ limit: 100 })).data;
      expect(all.map((e) => e.action)).toEqual(['key.create', ...Array(5).fill('usage.export')]);
      expect(all.slice(1).map((e) => e.id)).toEqual([...ids].reverse());
      expect(all[0]!.key_id).toBe(r.id);
      expect(all[1]!.changes).toEqual({ n: 4, nested: { deep: ['ü', null, 1.5] } });
      const first = await store.listAudit({ limit: 2 });
      expect([first.data.length, first.hasMore]).toEqual([2, true]);
      const rest = await store.listAudit({ after: first.data[1]!.id, limit: 10 });
      expect([...first.data, ...rest.data].map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(rest.hasMore).toBe(false);
    });

    it('announces each change to other instances after it is written', async () => {
      const peer = await h.peer();
      const record = newKey({ settings: { poll_rpm: 600, rpm: 1 } });
      const create = heard(peer, (keyId) => keyId === record.id || keyId === undefined);
      await created(store, record);
      await create.promise;
      // What a listener reads when it hears of the change must already be the new state.
      const seen: Array<number | undefined> = [];
      const detach = peer.onChange((keyId) => {
        if (keyId === record.id) void peer.get(record.id).then((r) => seen.push(r?.settings.rpm));
      });
      const update = heard(peer, (keyId) => keyId === record.id);
      await store.update(record.id, { set: { rpm: 9 }, clear: [] }, auditOf('key.update', record.id));
      expect(await update.promise).toBe(record.id);
      await expect.poll(() => seen).toEqual([9]);
      detach();
      const revoke = heard(peer, (keyId) => keyId === record.id || keyId === undefined);
      await store.revoke(record.id, auditOf('key.revoke', record.id));
      await revoke.promise;
      expect(await peer.get(record.id)).toBeUndefined();
      expect(peer.isLive()).toBe(true);
    });
  });
}
