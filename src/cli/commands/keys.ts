import type { Command } from 'commander';
import type { GatewayKey, GatewayKeyDeleted, GatewayKeyWithSecret } from '../../admin/schemas.js';
import { connect } from '../context.js';
import type { Io } from '../io.js';
import { addPagingFlags, showList, type PagingFlags } from '../pages.js';
import { integer } from '../parse.js';
import { addSettingFlags, addUpdateFlags, settingsFrom, updateFrom } from './key-flags.js';
import { keyDetails, keysTable, showSecret } from './key-views.js';

const keyPath = (id: string) => `/keys/${encodeURIComponent(id)}`;

/** `reelay keys create|list|show|update|rotate|revoke`: gateway keys through /admin/v1/keys. */
export function registerKeys(program: Command, io: Io): void {
  const keys = program.command('keys').description('create, list, change, rotate and revoke gateway keys');
  const onKey = (name: string, description: string) => keys.command(name).description(description).argument('<id>', 'a key id (key_…)');

  addSettingFlags(keys.command('create').description('create a key; prints its secret once').argument('<name>', 'a unique label')).action(
    async (name: string, options: Record<string, unknown>, command: Command) => {
      const { client, json } = connect(command, io);
      showSecret(io, json, await client.post<GatewayKeyWithSecret & { webhook_secret?: string }>('/keys', { name, ...settingsFrom(options) }));
    },
  );

  addPagingFlags(keys.command('list').description('list keys: config keys first, then keys made here, oldest first'), {
    noun: 'keys',
    after: 'start after this key id',
  }).action((options: PagingFlags, command: Command) => showList<GatewayKey>(connect(command, io), '/keys', {}, options, keysTable));

  onKey('show', 'show one key').action(async (id: string, _options: unknown, command: Command) => {
    const { client, show } = connect(command, io);
    const key = await client.get<GatewayKey>(keyPath(id));
    show(key, () => keyDetails(key));
  });

  addUpdateFlags(onKey('update', 'change a key (only the flags given); --clear unsets a setting')).action(
    async (id: string, options: Record<string, unknown>, command: Command) => {
      const body = updateFrom(options);
      const { client, show, json } = connect(command, io);
      const key = await client.patch<GatewayKey & { webhook_secret?: string }>(keyPath(id), body);
      // A newly set webhook_url mints a signing secret, shown this once.
      if (key.webhook_secret !== undefined) showSecret(io, json, key);
      else show(key, () => keyDetails(key));
    },
  );

  onKey('rotate', 'give a key a new secret; the old one keeps working for the grace period')
    .option('--grace-seconds <n>', 'how long the old secret keeps working (server default 86400; 0 stops it now)', integer)
    .action(async (id: string, options: { graceSeconds?: number }, command: Command) => {
      const { client, json } = connect(command, io);
      const body = options.graceSeconds === undefined ? {} : { grace_seconds: options.graceSeconds };
      showSecret(io, json, await client.post<GatewayKeyWithSecret>(`${keyPath(id)}/rotate`, body));
    });

  onKey('revoke', 'revoke a key: it answers 401 at once, on every instance').action(async (id: string, _options: unknown, command: Command) => {
    const { client, show } = connect(command, io);
    const deleted = await client.delete<GatewayKeyDeleted>(keyPath(id));
    show(deleted, () => `Revoked ${deleted.id}.`);
  });
}
