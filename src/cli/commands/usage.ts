import type { Command } from 'commander';
import type { UsageList } from '../../admin/usage-routes.js';
import { connect } from '../context.js';
import { usd } from '../format.js';
import type { Io } from '../io.js';
import { groupBy, USAGE_GROUPS, utcDay, type UsageGroup } from '../parse.js';
import { renderTable, type Column } from '../table.js';

type Row = UsageList['data'][number];

const GROUP_COLUMNS: Record<UsageGroup, { header: string; value: (r: Row) => string | undefined }> = {
  day: { header: 'DAY', value: (r) => r.day },
  key: { header: 'KEY ID', value: (r) => r.key_id },
  model: { header: 'MODEL', value: (r) => r.model },
};

const FIGURES = ['jobs_created', 'jobs_completed', 'jobs_failed', 'seconds_reserved', 'seconds_settled', 'seconds_released'] as const;
const FIGURE_HEADERS = ['CREATED', 'COMPLETED', 'FAILED', 'RESERVED S', 'SETTLED S', 'RELEASED S'];

/** The group columns asked for, the jobs and seconds, the estimated USD; a TOTAL row under several rows. */
export function usageTable(rows: readonly Row[], groups: readonly UsageGroup[]): string {
  if (rows.length === 0) return 'No usage in this range.';
  const columns: Column[] = [
    ...groups.map((g) => ({ header: GROUP_COLUMNS[g].header })),
    ...FIGURE_HEADERS.map((header) => ({ header, align: 'right' as const })),
    { header: 'USD', align: 'right' },
  ];
  const line = (r: Row, labels: string[]) => [...labels, ...FIGURES.map((f) => String(r[f])), usd(r.usd)];
  const lines = rows.map((r) => line(r, groups.map((g) => GROUP_COLUMNS[g].value(r) ?? '')));
  if (rows.length > 1) {
    const total = { ...Object.fromEntries(FIGURES.map((f) => [f, rows.reduce((sum, r) => sum + r[f], 0)])), usd: rows.reduce((sum, r) => sum + r.usd, 0) } as Row;
    lines.push(line(total, groups.map((_, i) => (i === 0 ? 'TOTAL' : ''))));
  }
  return renderTable(columns, lines);
}

interface UsageOptions {
  from?: string;
  to?: string;
  key?: string;
  model?: string;
  groupBy?: UsageGroup[];
}

/** `reelay usage`: GET /admin/v1/usage. Figures are filed under each job's creation day. */
export function registerUsage(program: Command, io: Io): void {
  program
    .command('usage')
    .description('jobs, video-seconds and estimated USD per day, key and model')
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (server default: 29 days before --to)', utcDay)
    .option('--to <day>', 'last UTC day, YYYY-MM-DD (server default: today)', utcDay)
    .option('--key <id>', 'one key id only')
    .option('--model <alias>', 'one model alias only')
    .option('--group-by <groups>', "comma-separated subset of day,key,model, or 'none' for totals (default: day,key,model)", groupBy)
    .action(async (options: UsageOptions, command: Command) => {
      const { client, show } = connect(command, io);
      const groups = options.groupBy ?? [...USAGE_GROUPS];
      const query = { from: options.from, to: options.to, key: options.key, model: options.model, group_by: options.groupBy?.join(',') };
      const usage = await client.get<UsageList>('/usage', query);
      show(usage, () => usageTable(usage.data, groups));
    });
}
