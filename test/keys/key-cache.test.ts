import { expect, it } from 'vitest';
import type { KeyEntry } from '../../src/keys/authenticator.js';
import { createKeyCache } from '../../src/keys/key-cache.js';

const entry = (id: string): KeyEntry => ({ principal: { id, name: id, owner: id, source: 'api' }, disabled: false });

it('holds at most maxEntries digests, evicting the least recently used', () => {
  const cache = createKeyCache({ maxEntries: 2 });
  cache.set('d1', entry('k1'), 100);
  cache.set('d2', entry('k2'), 100);
  expect(cache.get('d1', 0)?.entry?.principal.id).toBe('k1');
  cache.set('d3', entry('k3'), 100);
  expect([cache.size, cache.get('d2', 0), cache.get('d1', 0)?.entry?.principal.id]).toEqual([2, undefined, 'k1']);
});

it('forgets an entry once it expires', () => {
  const cache = createKeyCache({ maxEntries: 10 });
  cache.set('d1', entry('k1'), 100);
  expect(cache.get('d1', 99)).toBeDefined();
  expect(cache.get('d1', 100)).toBeUndefined();
  expect(cache.size).toBe(0);
});

it('drops a key\'s digests and every negative entry on a change of that key, and nothing else', () => {
  const cache = createKeyCache({ maxEntries: 10 });
  cache.set('current', entry('k1'), 100);
  cache.set('rotated-out', entry('k1'), 100);
  cache.set('other', entry('k2'), 100);
  cache.set('unknown', null, 100);
  cache.dropKey('k1');
  expect(['current', 'rotated-out', 'other', 'unknown'].map((d) => cache.get(d, 0) !== undefined)).toEqual([false, false, true, false]);
  cache.clear();
  expect(cache.size).toBe(0);
});
