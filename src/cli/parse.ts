import { InvalidArgumentError } from 'commander';

/**
 * Option parsers: each checks the form of one flag's value, so a typo is a
 * usage error (exit 2) before any request. Ranges are the server's to judge.
 */

export function integer(value: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw new InvalidArgumentError('Expected a whole number.');
  return Number(value);
}

export function decimal(value: string): number {
  if (!/^[0-9]{1,12}(\.[0-9]{1,6})?$/.test(value)) throw new InvalidArgumentError('Expected a number such as 5 or 12.50.');
  return Number(value);
}

/** `a,b` and repeats of the flag, in order. */
export function commaList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

/** `key=value`, repeatable; kept as pairs so no key can reach a prototype. */
export function pair(value: string, previous: [string, string][] = []): [string, string][] {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`Expected key=value, got '${value}'.`);
  return [...previous, [value.slice(0, at), value.slice(at + 1)]];
}

/** Unix seconds, or an ISO date or date-time (a bare date is UTC midnight). */
export function timestamp(value: string): number {
  if (/^[0-9]{1,12}$/.test(value)) return Number(value);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError('Expected unix seconds or an ISO date such as 2027-01-01 or 2027-01-01T12:00:00Z.');
  return Math.floor(ms / 1000);
}

export function utcDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('Expected a UTC day, YYYY-MM-DD.');
  return value;
}

export const USAGE_GROUPS = ['day', 'key', 'model'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** A comma-separated subset of day,key,model; `none` (or empty) is one row of totals. */
export function groupBy(value: string): UsageGroup[] {
  const groups = value === 'none' ? [] : commaList(value);
  const unknown = groups.find((g) => !(USAGE_GROUPS as readonly string[]).includes(g));
  if (unknown !== undefined) throw new InvalidArgumentError(`Unknown group '${unknown}': use day, key and model, or none.`);
  return groups as UsageGroup[];
}

/** One of `choices`, with dashes accepted for underscores (`poll-rpm` is `poll_rpm`). */
export function choiceList(choices: readonly string[]) {
  return (value: string, previous: string[] = []): string[] => {
    const normal = value.replaceAll('-', '_');
    if (!choices.includes(normal)) throw new InvalidArgumentError(`Expected one of ${choices.join(', ')}.`);
    return [...previous, normal];
  };
}
