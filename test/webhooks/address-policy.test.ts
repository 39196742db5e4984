import { describe, expect, it } from 'vitest';
import { nonPublicReason } from '../../src/webhooks/address-policy.js';

/** Which resolved addresses a webhook may not reach while webhooks.allow_private is off. */

describe('nonPublicReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'unique local (ULA)'],
    ['fc00::1', 'unique local (ULA)'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback (IPv4-mapped)'],
    ['::ffff:a9fe:a9fe', 'link-local (IPv4-mapped)'],
    ['64:ff9b::10.0.0.1', 'private (NAT64)'],
    ['2002:c0a8:0101::1', 'private (6to4)'],
    ['::10.0.0.1', 'private (IPv4-compatible)'],
    ['2001:db8::1', 'documentation'],
    ['not-an-ip', 'unparseable'],
  ])('refuses %s (%s)', (ip, reason) => {
    expect(nonPublicReason(ip)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:0808:0808::1'])(
    'allows the public address %s',
    (ip) => {
      expect(nonPublicReason(ip)).toBeUndefined();
    },
  );
});
