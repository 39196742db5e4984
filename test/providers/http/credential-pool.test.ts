import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RateLimitError, UpstreamError, UpstreamTimeoutError } from '../../../src/errors.js';
import { CredentialPool, credentialFingerprint } from '../../../src/providers/http/credential-pool.js';
import { captureLogger, manualClock } from './log-capture.js';

const KEYS = ['key-alpha-0001', 'key-bravo-0002', 'key-charlie-0003'] as const;
/** A provider id no message could contain by chance ("up" is in "upstream"). */
const PROVIDER = 'vendor-q7';

function pool(keys: readonly string[] = KEYS) {
  const clock = manualClock();
  const log = captureLogger();
  return { pool: new CredentialPool(PROVIDER, keys, { clock, logger: log.logger }), clock, log };
}

describe('credentialFingerprint', () => {
  it('is the provider id and the first 16 hex digits of sha256(key)', () => {
    const hex = createHash('sha256').update('key-alpha-0001').digest('hex').slice(0, 16);
    expect(credentialFingerprint(PROVIDER, 'key-alpha-0001')).toBe(`${PROVIDER}:${hex}`);
    expect(credentialFingerprint(PROVIDER, 'key-alpha-0001')).not.toContain('key-alpha');
    expect(credentialFingerprint('other', 'key-alpha-0001')).not.toBe(credentialFingerprint(PROVIDER, 'key-alpha-0001'));
  });
});

describe('CredentialPool', () => {
  it('rotates round-robin over the keys', () => {
    const { pool: p } = pool();
    expect([1, 2, 3, 4, 5, 6].map(() => p.next().key)).toEqual([...KEYS, ...KEYS]);
  });

  it('treats a key listed twice as one credential', () => {
    const { pool: p } = pool(['dup-key-000', 'dup-key-000', 'other-key-1']);
    expect(p.health()).toHaveLength(2);
    expect([1, 2, 3, 4].map(() => p.next().key)).toEqual(['dup-key-000', 'other-key-1', 'dup-key-000', 'other-key-1']);
  });

  it('finds the exact key by fingerprint, even once disabled', () => {
    const { pool: p } = pool();
    const fp = credentialFingerprint(PROVIDER, KEYS[1]);
    expect(p.byFingerprint(fp).key).toBe(KEYS[1]);
    p.disable(fp, 'HTTP 401');
    expect(p.byFingerprint(fp).key).toBe(KEYS[1]);
  });

  it('answers credential_unavailable for a fingerprint no longer configured', () => {
    const { pool: p } = pool();
    const err = (() => {
      try {
        p.byFingerprint(credentialFingerprint(PROVIDER, 'removed-key-9'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ status: 502, code: 'credential_unavailable', failover: false, provider: PROVIDER });
    expect((err as Error).message).not.toContain(PROVIDER);
  });

  it('skips a disabled key, logs it at error level without the key, and shows it in health()', () => {
    const { pool: p, log } = pool();
    const fp = credentialFingerprint(PROVIDER, KEYS[0]);
    p.disable(fp, 'HTTP 401: Incorrect API key provided');
    expect([1, 2, 3, 4].map(() => p.next().key)).toEqual([KEYS[1], KEYS[2], KEYS[1], KEYS[2]]);
    expect(p.health()).toEqual([
      { fingerprint: fp, state: 'disabled', reason: 'HTTP 401: Incorrect API key provided' },
      { fingerprint: credentialFingerprint(PROVIDER, KEYS[1]), state: 'active' },
      { fingerprint: credentialFingerprint(PROVIDER, KEYS[2]), state: 'active' },
    ]);
    const entry = log.entries().find((e) => e.msg === 'upstream credential disabled');
    expect(entry).toMatchObject({ level: 'error', credential: fp, usable: 2 });
    expect(log.lines.join('\n')).not.toContain(KEYS[0]);
  });

  it('throws no_upstream_credentials (502, failover) when every key is disabled', () => {
    const { pool: p } = pool(['only-key-0001']);
    p.disable(credentialFingerprint(PROVIDER, 'only-key-0001'), 'HTTP 403');
    expect(() => p.next()).toThrow(UpstreamError);
    try {
      p.next();
    } catch (e) {
      expect(e).toMatchObject({ status: 502, code: 'no_upstream_credentials', failover: true, provider: PROVIDER });
      expect((e as Error).message).not.toContain('only-key-0001');
      expect((e as Error).message).not.toContain(PROVIDER);
    }
  });

  it('cools a key down for the given seconds, then brings it back', () => {
    const { pool: p, clock } = pool();
    const fp = credentialFingerprint(PROVIDER, KEYS[1]);
    p.coolDown(fp, 10);
    expect([1, 2, 3, 4].map(() => p.next().key)).toEqual([KEYS[0], KEYS[2], KEYS[0], KEYS[2]]);
    expect(p.health()[1]).toMatchObject({ fingerprint: fp, state: 'cooling_down' });
    clock.advance(9_999);
    expect(p.health()[1]!.state).toBe('cooling_down');
    clock.advance(1);
    expect(p.health()[1]).toEqual({ fingerprint: fp, state: 'active' });
    const seen = new Set([1, 2, 3].map(() => p.next().key));
    expect(seen).toEqual(new Set(KEYS));
  });

  it('defaults the cool-down to 30 s and never shortens a longer one', () => {
    const { pool: p, clock } = pool(['solo-key-0001']);
    const fp = credentialFingerprint(PROVIDER, 'solo-key-0001');
    p.coolDown(fp, 120);
    p.coolDown(fp);
    clock.advance(60_000);
    expect(p.health()[0]!.state).toBe('cooling_down');
    clock.advance(60_000);
    expect(p.health()[0]!.state).toBe('active');
    p.coolDown(fp);
    clock.advance(29_999);
    expect(p.health()[0]!.state).toBe('cooling_down');
    clock.advance(1);
    expect(p.next().key).toBe('solo-key-0001');
  });

  it('answers 429 with the shortest remaining wait when every usable key is cooling down', () => {
    const { pool: p, clock } = pool(['k-one-00001', 'k-two-00002', 'k-dead-0003']);
    p.disable(credentialFingerprint(PROVIDER, 'k-dead-0003'), 'HTTP 401');
    p.coolDown(credentialFingerprint(PROVIDER, 'k-one-00001'), 40);
    p.coolDown(credentialFingerprint(PROVIDER, 'k-two-00002'), 12);
    clock.advance(2_000);
    let err: unknown;
    try {
      p.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'no_upstream_credentials', failover: true, provider: PROVIDER, headers: { 'retry-after': '10' } });
    expect((err as Error).message).not.toContain(PROVIDER);
    clock.advance(10_000);
    expect(p.next().key).toBe('k-two-00002');
  });

  it('redacts every configured key from text', () => {
    const { pool: p } = pool();
    expect(p.redact(`bad key ${KEYS[0]} and ${KEYS[2]}!`)).toBe('bad key [redacted] and [redacted]!');
  });

  describe('withNextCredential', () => {
    it('moves on to the next key when one is refused (401) or rate limited (429), once per key', async () => {
      const { pool: p } = pool();
      const tried: string[] = [];
      const result = await p.withNextCredential(async (c) => {
        tried.push(c.key);
        if (c.key === KEYS[0]) {
          p.disable(c.fingerprint, 'HTTP 401');
          throw new UpstreamError('refused', { code: 'upstream_auth_failed', failover: true });
        }
        if (c.key === KEYS[1]) {
          p.coolDown(c.fingerprint, 30);
          throw new RateLimitError('slow down', 30, { failover: true });
        }
        return c.fingerprint;
      });
      expect(tried).toEqual([...KEYS]);
      expect(result).toBe(credentialFingerprint(PROVIDER, KEYS[2]));
    });

    it('throws the last upstream error when every key fails', async () => {
      const { pool: p } = pool(['a-key-00001', 'b-key-00002']);
      let n = 0;
      const err = await p
        .withNextCredential(async (c) => {
          n++;
          p.disable(c.fingerprint, 'HTTP 401');
          throw new UpstreamError(`refused ${n}`, { code: 'upstream_auth_failed', failover: true });
        })
        .catch((e: unknown) => e);
      expect(n).toBe(2);
      expect(err).toMatchObject({ message: 'refused 2', code: 'upstream_auth_failed' });
    });

    it('never retries a timeout or other failures (a job may exist upstream)', async () => {
      const { pool: p } = pool();
      let n = 0;
      const err = await p
        .withNextCredential(async () => {
          n++;
          throw new UpstreamTimeoutError('slow', { failover: true });
        })
        .catch((e: unknown) => e);
      expect(n).toBe(1);
      expect(err).toBeInstanceOf(UpstreamTimeoutError);
    });
  });
});
