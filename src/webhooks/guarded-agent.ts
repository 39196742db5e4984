import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { nonPublicReason } from './address-policy.js';

/** A webhook target the SSRF guard would not connect to. Never retried: the address will not become public by waiting. */
export class TargetRefusedError extends Error {
  readonly code = 'webhook_target_refused';
  constructor(
    readonly address: string,
    readonly reason: string,
  ) {
    super(`${address} is a ${reason} address, and webhooks.allow_private is false`);
    this.name = 'TargetRefusedError';
  }
}

/** Every address a hostname resolves to (dns.lookup with `all`); injectable so tests can play a rebinding DNS. */
export type ResolveAll = (hostname: string, family: number | undefined) => Promise<LookupAddress[]>;

const systemResolveAll: ResolveAll = (hostname, family) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, family: family ?? 0 }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

export interface WebhookAgentOptions {
  /** `webhooks.allow_private`: connect to any address. */
  allowPrivate: boolean;
  /** Connect timeout, and the longest wait for response headers and between body chunks. */
  timeoutMs: number;
  resolveAll?: ResolveAll;
}

const refusalOf = (address: string): TargetRefusedError | undefined => {
  const reason = nonPublicReason(address);
  return reason === undefined ? undefined : new TargetRefusedError(address, reason);
};

/**
 * The `lookup` net/tls call while connecting: it resolves every address and
 * refuses the lot if any one is not public, so the addresses checked are the
 * very ones the socket then uses. A check before the request, with its own
 * lookup, could be answered differently from the connect's (DNS rebinding).
 */
function guardedLookup(resolveAll: ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname, options.family === 4 || options.family === 6 ? options.family : undefined).then(
      (addresses) => {
        const refused = addresses.map((a) => refusalOf(a.address)).find((r) => r !== undefined);
        if (refused) return callback(refused, '');
        if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
        if (options.all) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/**
 * The one undici Agent every webhook attempt goes through. With the guard
 * on, an IP-literal host is judged before connecting (net skips `lookup` for
 * those) and a hostname through guardedLookup. Keep-alive sockets were
 * checked when they connected, so reusing one is as safe as opening it. The
 * Agent never follows redirects: undici's request() only would with an
 * interceptor, and none is added.
 */
export function createWebhookAgent({ allowPrivate, timeoutMs, resolveAll = systemResolveAll }: WebhookAgentOptions): Agent {
  const common = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 4_000, connections: 16 };
  if (allowPrivate) return new Agent({ ...common, connect: { timeout: timeoutMs } });
  const base = buildConnector({ timeout: timeoutMs, lookup: guardedLookup(resolveAll) });
  const connect: buildConnector.connector = (options, callback) => {
    const refused = isIP(options.hostname) ? refusalOf(options.hostname) : undefined;
    if (refused) callback(refused, null);
    else base(options, callback);
  };
  return new Agent({ ...common, connect });
}
