import { Option, type Command } from 'commander';
import type { KeyUpdateBody } from '../../admin/schemas.js';
import { UsageError } from '../errors.js';
import { choiceList, commaList, decimal, integer, pair, timestamp } from '../parse.js';

/** The flags `keys create` and `keys update` share: one per key setting, named as the wire names it. */
interface SettingFlag {
  flags: string;
  field: Exclude<keyof KeyUpdateBody, 'name' | 'disabled'>;
  help: string;
  parse: (value: string, previous: never) => unknown;
}

const SETTING_FLAGS: readonly SettingFlag[] = [
  { flags: '--models <aliases>', field: 'models', parse: commaList, help: 'comma-separated model aliases the key may use (default: every alias)' },
  { flags: '--rpm <n>', field: 'rpm', parse: integer, help: 'creates and remixes per minute' },
  { flags: '--poll-rpm <n>', field: 'poll_rpm', parse: integer, help: 'status, list and content requests per minute' },
  { flags: '--max-concurrent <n>', field: 'max_concurrent', parse: integer, help: 'unfinished jobs at once' },
  { flags: '--seconds-per-day <n>', field: 'seconds_per_day', parse: integer, help: 'video-seconds per UTC day' },
  { flags: '--seconds-per-month <n>', field: 'seconds_per_month', parse: integer, help: 'video-seconds per UTC month' },
  { flags: '--usd-per-month <usd>', field: 'usd_per_month', parse: decimal, help: 'estimated USD per UTC month' },
  { flags: '--expires-at <when>', field: 'expires_at', parse: timestamp, help: 'unix seconds or an ISO date (2027-01-01, 2027-01-01T12:00:00Z)' },
  { flags: '--metadata <key=value...>', field: 'metadata', parse: pair, help: 'labels, repeatable (on update: replaces every label)' },
  { flags: '--webhook-url <url>', field: 'webhook_url', parse: (v) => v, help: "where this key's video events are delivered" },
];

const attribute = (flag: SettingFlag) => new Option(flag.flags).attributeName();

/** The settings `--clear` may set back to null (the server's default). */
export const CLEARABLE: readonly string[] = SETTING_FLAGS.map((f) => f.field);

export function addSettingFlags(command: Command): Command {
  for (const flag of SETTING_FLAGS) command.addOption(new Option(flag.flags, flag.help).argParser(flag.parse as (value: string, previous: unknown) => unknown));
  return command;
}

export function addUpdateFlags(command: Command): Command {
  return addSettingFlags(command.option('--name <name>', 'a new unique name'))
    .addOption(new Option('--disable', 'the key answers 401 key_disabled until enabled').conflicts('enable'))
    .option('--enable', 'undo --disable')
    .addOption(new Option('--clear <field...>', `reset settings to unset: ${CLEARABLE.join(', ')}`).argParser(choiceList(CLEARABLE)));
}

/** The settings given as flags, as the request body names them. */
export function settingsFrom(options: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const flag of SETTING_FLAGS) {
    const value = options[attribute(flag)];
    if (value !== undefined) body[flag.field] = flag.field === 'metadata' ? Object.fromEntries(value as [string, string][]) : value;
  }
  return body;
}

/** A PATCH body: the given settings, the name, enable/disable, and null for every cleared field. */
export function updateFrom(options: Record<string, unknown>): KeyUpdateBody {
  const body = settingsFrom(options);
  if (typeof options.name === 'string') body.name = options.name;
  if (options.disable === true) body.disabled = true;
  if (options.enable === true) body.disabled = false;
  for (const field of (options.clear as string[] | undefined) ?? []) {
    if (body[field] !== undefined && body[field] !== null) throw new UsageError(`--clear ${field} contradicts the value given for it.`);
    body[field] = null;
  }
  if (Object.keys(body).length === 0) throw new UsageError('Nothing to update: give at least one flag (reelay keys update --help).');
  return body as KeyUpdateBody;
}
