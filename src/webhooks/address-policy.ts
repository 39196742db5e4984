import { isIP } from 'node:net';

/**
 * Which addresses a webhook may not reach unless `webhooks.allow_private` is
 * on: everything that is not the public internet. A webhook URL is chosen by
 * whoever holds an admin key or edits the config, but the request is made
 * from inside the operator's network, so a URL must never become a way to
 * reach that network (SSRF). The check runs on each address a connection is
 * about to use (see guarded-agent.ts), never on the URL's text alone.
 */

interface Range {
  base: bigint;
  bits: number;
  reason: string;
}

const V4_BITS = 32;
const V6_BITS = 128;

function parseV4(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** The 128-bit value of an IPv6 address (any zone id dropped); WHATWG URL does the hard part of parsing. */
function parseV6(ip: string): bigint {
  const host = new URL(`http://[${ip.split('%')[0]}]/`).hostname.slice(1, -1);
  const [head = '', tail] = host.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

const range = (text: string, reason: string): Range => {
  const [ip = '', bits = ''] = text.split('/');
  return { base: isIP(ip) === 4 ? parseV4(ip) : parseV6(ip), bits: Number(bits), reason };
};

const V4_RANGES: readonly Range[] = [
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared (CGNAT)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'IETF-reserved'),
  range('192.0.2.0/24', 'documentation'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
];

const V6_RANGES: readonly Range[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('100::/64', 'discard-only'),
  range('2001:db8::/32', 'documentation'),
  range('fc00::/7', 'unique local (ULA)'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local'),
  range('ff00::/8', 'multicast'),
];

/**
 * IPv6 forms that carry an IPv4 address the packet ends up at: the address is
 * judged by that IPv4 address (`::ffff:127.0.0.1` is loopback). `shift` is
 * where the IPv4 address sits, counted from the low end.
 */
const EMBEDDING: ReadonlyArray<Range & { shift: bigint }> = [
  { ...range('::ffff:0:0/96', 'IPv4-mapped'), shift: 0n },
  { ...range('64:ff9b::/96', 'NAT64'), shift: 0n },
  { ...range('64:ff9b:1::/48', 'NAT64'), shift: 0n },
  { ...range('2002::/16', '6to4'), shift: 80n },
  // Deprecated IPv4-compatible addresses (::a.b.c.d); :: and ::1 are judged above.
  { ...range('::/96', 'IPv4-compatible'), shift: 0n },
];

const within = (value: bigint, width: number, r: Range): boolean => value >> BigInt(width - r.bits) === r.base >> BigInt(width - r.bits);

const v4Reason = (value: bigint): string | undefined => V4_RANGES.find((r) => within(value, V4_BITS, r))?.reason;

/**
 * Why `ip` (an IPv4 or IPv6 address) is not a public address, e.g.
 * "loopback" or "private (IPv4-mapped)"; undefined when it is public.
 * Anything that does not parse as an address is refused too.
 */
export function nonPublicReason(ip: string): string | undefined {
  const family = isIP(ip.split('%')[0] ?? '');
  if (family === 4) return v4Reason(parseV4(ip));
  if (family !== 6) return 'unparseable';
  const value = parseV6(ip);
  const direct = V6_RANGES.find((r) => within(value, V6_BITS, r));
  if (direct) return direct.reason;
  for (const e of EMBEDDING) {
    if (!within(value, V6_BITS, e)) continue;
    const reason = v4Reason((value >> e.shift) & 0xffffffffn);
    if (reason) return `${reason} (${e.reason})`;
  }
  return undefined;
}
