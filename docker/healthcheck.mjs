// HEALTHCHECK for the image: exit 0 when /readyz answers 200 (the store is reachable).
// REELAY_HEALTHCHECK_URL overrides the address; otherwise it follows REELAY_PORT.
const url = process.env.REELAY_HEALTHCHECK_URL ?? `http://127.0.0.1:${process.env.REELAY_PORT ?? '8080'}/readyz`;

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
