/**
 * Where the CLI writes: stdout for results, stderr for warnings and errors.
 * Every write is scrubbed of the admin key, so no message (a server's echo of
 * an id typed by mistake included) can ever print it.
 */
export interface Io {
  /** A result, on stdout; a newline is added. */
  out(text: string): void;
  /** A warning or an error, on stderr; a newline is added. */
  err(text: string): void;
  /** The server's JSON, pretty-printed, on stdout. */
  json(value: unknown): void;
  /** Raw writes (commander's help and errors). */
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const withNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

export function createIo(secrets: readonly string[]): Io {
  const hidden = secrets.filter((s) => s.length >= 8);
  const scrub = (text: string) => hidden.reduce((t, s) => t.split(s).join('[admin key]'), text);
  const writeOut = (text: string) => void process.stdout.write(scrub(text));
  const writeErr = (text: string) => void process.stderr.write(scrub(text));
  return {
    out: (text) => writeOut(withNewline(text)),
    err: (text) => writeErr(withNewline(text)),
    json: (value) => writeOut(withNewline(JSON.stringify(value, null, 2))),
    writeOut,
    writeErr,
  };
}

/** The admin keys this run may know: the environment's and any given with --admin-key. */
export function adminKeysIn(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const keys = env.REELAY_ADMIN_KEY === undefined ? [] : [env.REELAY_ADMIN_KEY];
  argv.forEach((arg, i) => {
    if (arg === '--admin-key' && argv[i + 1] !== undefined) keys.push(argv[i + 1]!);
    else if (arg.startsWith('--admin-key=')) keys.push(arg.slice('--admin-key='.length));
  });
  return keys;
}
