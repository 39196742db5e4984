import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/reelay.yaml';

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

type Env = Readonly<Record<string, string | undefined>>;

/** `providers[1].base_url`, the form every config problem is reported in. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * `${VAR}` / `${VAR:-default}` are replaced *after* YAML parsing, inside string
 * scalars only, so a secret containing `#`, `: ` or quotes cannot change the
 * document's structure. The text is first rewritten with opaque tokens (a raw
 * `${X}` inside a flow sequence is not valid YAML), then tokens are resolved.
 */
function substitute(text: string, env: Env): { value: unknown; problems: string[] } {
  const refs: { name: string; fallback: string | undefined }[] = [];
  const tokenised = text.replace(VAR, (_m, name: string, fallback: string | undefined) => {
    refs.push({ name, fallback });
    return `__REELAY_ENV_${refs.length - 1}__`;
  });
  const doc = parseDocument(tokenised, { prettyErrors: false });
  const problems = doc.errors.map((e) => `(yaml): ${e.message.split('\n')[0]}`);
  if (problems.length > 0) return { value: undefined, problems };

  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(/__REELAY_ENV_(\d+)__/g, (_m, i: string) => {
        const ref = refs[Number(i)]!;
        const v = env[ref.name];
        if (v !== undefined && v !== '') return v;
        if (ref.fallback !== undefined) return ref.fallback;
        problems.push(`${formatPath(path)}: environment variable ${ref.name} is not set`);
        return '';
      });
    }
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return node;
  };
  return { value: walk(doc.toJS(), []), problems };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    // Report an unknown key at its own path: `server.prot: unknown key`.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => `${formatPath([...i.path, k])}: unknown key (typo?)`).join('\n');
    }
    return `${formatPath(i.path)}: ${i.message}`;
  }).flatMap((s) => s.split('\n'));
}

/** Parses and validates config text; throws ConfigError listing every problem. */
export function parseConfig(text: string, env: Env): Config {
  const { value, problems } = substitute(text, env);
  if (problems.length > 0 && value === undefined) throw new ConfigError(problems);
  const result = ConfigSchema.safeParse(value ?? {});
  const all = [...problems, ...(result.success ? [] : formatIssues(result.error.issues))];
  if (all.length > 0 || !result.success) throw new ConfigError(all);
  return deepFreeze(result.data);
}

/** Reads the file named by REELAY_CONFIG (default config/reelay.yaml). */
export function loadConfig(env: Env): { config: Config; path: string } {
  const path = env.REELAY_CONFIG && env.REELAY_CONFIG !== '' ? env.REELAY_CONFIG : DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`(file): cannot read ${path}: ${(err as Error).message}`]);
  }
  return { config: parseConfig(text, env), path };
}
