import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerKeys } from './commands/keys.js';
import { registerUsage } from './commands/usage.js';
import { registerVideos } from './commands/videos.js';
import { DEFAULT_URL } from './connection.js';
import { describeFailure } from './errors.js';
import { adminKeysIn, createIo, type Io } from './io.js';

/** package.json sits two folders up from both src/cli and dist/cli. */
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(io: Io): Command {
  const program = new Command('reelay')
    .description('Manage a Reelay gateway through its admin API (/admin/v1).')
    .version(version)
    .option('--url <url>', `the server root (env REELAY_URL, default ${DEFAULT_URL})`)
    .option('--admin-key <key>', 'an admin key from admin.keys (env REELAY_ADMIN_KEY, which keeps it out of ps)')
    .option('--json', "print the server's JSON, for scripts")
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    // Subcommands made with .command() inherit this: commander throws instead of exiting, and run() picks the code.
    .exitOverride();
  registerKeys(program, io);
  registerUsage(program, io);
  registerAudit(program, io);
  registerVideos(program, io);
  return program;
}

/**
 * Runs one command line and returns its exit code: 0 on success, 1 on an API
 * error or an unreachable server, 2 on a usage error (commander's own
 * included, which it has already explained on stderr).
 */
export async function run(argv: readonly string[]): Promise<number> {
  const io = createIo(adminKeysIn(argv, process.env));
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const { lines, exitCode } = describeFailure(err);
    for (const line of lines) io.err(line);
    return exitCode;
  }
}
