import type { Command } from 'commander';
import type { Query } from './client.js';
import type { Context } from './context.js';
import { integer } from './parse.js';

/** A list page as the admin API answers: keys and videos carry `last_id`; audit pages on from the last entry's id. */
export interface Page<T extends { id: string }> {
  data: T[];
  has_more: boolean;
  last_id?: string | null;
}

export interface PagingFlags {
  after?: string;
  limit?: number;
  all?: boolean;
}

const cursorOf = <T extends { id: string }>(page: Page<T>) => page.last_id ?? page.data.at(-1)?.id;

/** One page, or with `all` every page after it, merged into one answer shaped like the server's (has_more false). */
export async function fetchPages<T extends { id: string }, P extends Page<T>>(fetchPage: (after: string | undefined) => Promise<P>, first: string | undefined, all: boolean): Promise<P> {
  const page = await fetchPage(first);
  if (!all) return page;
  const data = [...page.data];
  let last = page;
  for (let after = cursorOf(last); last.has_more && after !== undefined; ) {
    last = await fetchPage(after);
    data.push(...last.data);
    const next = cursorOf(last);
    if (next === after) break;
    after = next;
  }
  return { ...last, ...('first_id' in page ? { first_id: page.first_id } : {}), data, has_more: false };
}

/** --after, --limit and --all, as every list command takes them. */
export function addPagingFlags(command: Command, { noun, after }: { noun: string; after: string }): Command {
  return command
    .option('--after <id>', after)
    .option('--limit <n>', `${noun} per page, 1-100 (default 20; 100 with --all)`, integer)
    .option('--all', 'follow has_more to the last page');
}

/** GETs a list (one page, or all of them with --all), shows it, and says on stderr how to read on from a partial page. */
export async function showList<T extends { id: string }>(ctx: Context, path: string, query: Query, flags: PagingFlags, render: (data: T[]) => string): Promise<void> {
  const all = flags.all === true;
  const limit = flags.limit ?? (all ? 100 : undefined);
  const page = await fetchPages((after) => ctx.client.get<Page<T>>(path, { ...query, after, limit }), flags.after, all);
  ctx.show(page, () => render(page.data));
  const cursor = cursorOf(page);
  if (page.has_more && cursor !== undefined) ctx.io.err(`More results: run again with --after ${cursor}, or with --all.`);
}
