import { expect, it } from 'vitest';
import { createMemoryKeyStore } from '../../src/keys/memory-key-store.js';
import { auditOf, describeKeyStoreContract } from './key-store.contract.js';

describeKeyStoreContract('memory', async () => {
  const store = createMemoryKeyStore();
  return { store, peer: async () => store, cleanup: () => store.close() };
});

it('keeps only the newest audit entries beyond its cap', async () => {
  const store = createMemoryKeyStore({ auditMaxEntries: 3 });
  for (let i = 0; i < 5; i++) await store.appendAudit(auditOf('test.entry', null, { i }));
  const page = await store.listAudit({ limit: 10 });
  expect(page.data.map((e) => e.changes.i)).toEqual([4, 3, 2]);
  expect(page.hasMore).toBe(false);
});
