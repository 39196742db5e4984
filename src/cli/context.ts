import type { Command } from 'commander';
import { AdminClient } from './client.js';
import { resolveConnection } from './connection.js';
import type { Io } from './io.js';

/** The global flags every command takes (defined on the program). */
export interface GlobalFlags {
  url?: string;
  adminKey?: string;
  json?: boolean;
}

/** What a command's action works with. */
export interface Context {
  client: AdminClient;
  io: Io;
  /** --json: print the server's JSON, not a table. */
  json: boolean;
  /** The server's JSON with --json, else the table `render` draws. */
  show(body: unknown, render: () => string): void;
}

/** Connects from flags and environment; a missing admin key is a usage error, raised before any request. */
export function connect(command: Command, io: Io): Context {
  const flags = command.optsWithGlobals<GlobalFlags>();
  const client = new AdminClient(resolveConnection(flags, process.env));
  const json = flags.json === true;
  return { client, io, json, show: (body, render) => (json ? io.json(body) : io.out(render())) };
}
