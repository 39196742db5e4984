/** How values read in tables: UTC times, and words where the wire has null. */

/** Unix seconds as `2026-12-02 04:31:05Z`. */
export function utcTime(seconds: number | null, none = '-'): string {
  if (seconds === null) return none;
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export const orDash = (value: string | number | null | undefined): string => (value === null || value === undefined ? '-' : String(value));

/** Dollars with cents, and finer digits only where there are any (the server counts in micro-dollars). */
export function usd(value: number): string {
  const [whole, fraction = ''] = value.toFixed(6).replace(/0+$/, '').split('.');
  return `$${whole}.${fraction.padEnd(2, '0')}`;
}
