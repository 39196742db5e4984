import type { Command } from 'commander';
import type { AdminVideoList } from '../../admin/videos-routes.js';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { orDash, utcTime } from '../format.js';
import type { Io } from '../io.js';
import { addPagingFlags, showList, type PagingFlags } from '../pages.js';
import { renderTable } from '../table.js';

type AdminVideo = AdminVideoList['data'][number];

export function videosTable(videos: readonly AdminVideo[]): string {
  if (videos.length === 0) return 'No videos.';
  const columns = ['ID', 'KEY ID', 'STATUS', 'PROGRESS', 'MODEL', 'SECONDS', 'SIZE', 'PROVIDER', 'UPSTREAM ID', 'CREATED'].map((header) => ({ header }));
  return renderTable(
    columns,
    videos.map((v) => [v.id, v.key_id, v.status, `${v.progress}%`, v.model, orDash(v.seconds), orDash(v.size), v.provider, v.upstream_id, utcTime(v.created_at)]),
  );
}

interface VideosFlags extends PagingFlags {
  key?: string;
  id?: string;
  status?: string;
  order?: string;
}

/** `reelay videos`: GET /admin/v1/videos, the one place a job's provider and upstream id are shown. */
export function registerVideos(program: Command, io: Io): void {
  const videos = program
    .command('videos')
    .description("any key's jobs, with the provider and upstream id (give --key or --id)")
    .option('--key <id>', "this key's videos")
    .option('--id <video>', 'one video by id, whoever owns it')
    .option('--status <status>', 'queued, in_progress, completed or failed')
    .option('--order <order>', 'asc or desc by creation (default desc)');
  addPagingFlags(videos, { noun: 'videos', after: 'start after this video id' }).action((options: VideosFlags, command: Command) => {
    if (options.key === undefined && options.id === undefined) throw new UsageError('Give --key <key id> or --id <video id>.');
    const query = { key: options.key, id: options.id, status: options.status, order: options.order };
    return showList<AdminVideo>(connect(command, io), '/videos', query, options, videosTable);
  });
}
