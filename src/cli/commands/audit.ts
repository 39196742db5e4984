import type { Command } from 'commander';
import type { AuditList } from '../../admin/schemas.js';
import { connect } from '../context.js';
import { orDash, utcTime } from '../format.js';
import type { Io } from '../io.js';
import { addPagingFlags, showList, type PagingFlags } from '../pages.js';
import { renderTable } from '../table.js';

type Entry = AuditList['data'][number];

export function auditTable(entries: readonly Entry[]): string {
  if (entries.length === 0) return 'No admin actions recorded.';
  const columns = ['AT', 'ACTOR', 'ACTION', 'KEY ID', 'CHANGED'].map((header) => ({ header }));
  return renderTable(
    columns,
    entries.map((e) => [utcTime(e.at), e.actor, e.action, orDash(e.key_id), Object.keys(e.changes).join(', ')]),
  );
}

/** `reelay audit`: GET /admin/v1/audit, newest first. */
export function registerAudit(program: Command, io: Io): void {
  const audit = program.command('audit').description('every admin action, newest first (--json adds values, client address and request id)');
  addPagingFlags(audit, { noun: 'entries', after: 'older than this entry id' }).action((options: PagingFlags, command: Command) =>
    showList<Entry>(connect(command, io), '/audit', {}, options, auditTable),
  );
}
