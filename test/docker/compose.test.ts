import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/process.js';

/**
 * docker-compose.yml, the Dockerfile and .dockerignore, read as Docker reads
 * them. There is no engine here: `docker-compose config` (Debian's
 * docker-compose, installed by .ci/run) validates and resolves the file,
 * profiles included, in a scratch copy whose .env is the committed
 * .env.example, exactly what `cp .env.example .env` gives a new user.
 */

interface Resolved {
  services: Record<string, { environment?: Record<string, string>; volumes?: string[]; ports?: string[]; profiles?: string[] }>;
}

function composeConfig(profiles: readonly string[], env: Record<string, string> = {}, dotenv = ''): Resolved {
  const dir = mkdtempSync(join(tmpdir(), 'reelay-compose-'));
  copyFileSync(join(ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  writeFileSync(join(dir, '.env'), `${readFileSync(join(ROOT, '.env.example'), 'utf8')}${dotenv}`);
  mkdirSync(join(dir, 'config'));
  mkdirSync(join(dir, 'docker'));
  const args = ['-f', join(dir, 'docker-compose.yml'), ...profiles.flatMap((p) => ['--profile', p])];
  const run = (extra: string[]) =>
    execFileSync('docker-compose', [...args, ...extra], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', REELAY_API_KEY: 'sk-compose-test-key', ...env } });
  run(['config', '-q']);
  return parse(run(['config'])) as Resolved;
}

describe('docker-compose.yml', () => {
  /** The services `docker compose up` starts with these profiles (compose v1's `config` lists them all). */
  const started = (resolved: Resolved, profiles: readonly string[] = []) =>
    Object.entries(resolved.services)
      .filter(([, s]) => !s.profiles || s.profiles.some((p) => profiles.includes(p)))
      .map(([name]) => name)
      .sort();

  it('is valid, and gives the container .env and a volume for stored videos', () => {
    const resolved = composeConfig([]);
    expect(started(resolved)).toEqual(['redis', 'reelay']);
    const reelay = resolved.services.reelay!;
    expect(reelay.environment).toMatchObject({ REELAY_CONFIG: '/app/config/compose.yaml', REELAY_API_KEY: 'sk-compose-test-key', REELAY_STORAGE: 'fs' });
    expect(reelay.volumes?.some((v) => String(v).includes('/app/data'))).toBe(true);
    // Published on loopback only.
    expect(JSON.stringify(reelay.ports)).toContain('127.0.0.1');
  });

  it('passes every variable of .env to the container (env_file), so a provider block can read ${GPTGE_KEY_1}', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    expect(example).toMatch(/^# GPTGE_KEY_1=/m);
    // compose v1 inlines env_file into the resolved environment.
    const reelay = composeConfig([], {}, 'GPTGE_KEY_1=sk-upstream-from-dotenv\n').services.reelay!;
    expect(reelay.environment?.GPTGE_KEY_1).toBe('sk-upstream-from-dotenv');
    // No other service sees it.
    expect(composeConfig([], {}, 'GPTGE_KEY_1=sk-upstream-from-dotenv\n').services.redis!.environment?.GPTGE_KEY_1).toBeUndefined();
  });

  it('validates with each profile: minio adds MinIO and its bucket, observability Prometheus and Grafana', () => {
    expect(started(composeConfig(['minio']), ['minio'])).toEqual(['minio', 'minio-bucket', 'redis', 'reelay']);
    expect(started(composeConfig(['observability']), ['observability'])).toEqual(['grafana', 'prometheus', 'redis', 'reelay']);
  });

  it('refuses to start without REELAY_API_KEY', () => {
    expect(() => composeConfig([], { REELAY_API_KEY: '' })).toThrow(/REELAY_API_KEY/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('builds every stage on Node 24, the active LTS', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^node:24-/);
  });

  it('runs node dist/main.js as the non-root user, with /app/data its own', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/chown -R node:node \/app\/data/);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
  });
});

describe('.dockerignore', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());

  it('keeps secrets, local data and bench outputs out of the build context', () => {
    for (const entry of ['.env', '.env.*', 'data', 'bench-results.json', 'bench-profiles', '*.cpuprofile', 'node_modules', '.git']) expect(ignored).toContain(entry);
    expect(ignored).toContain('!.env.example');
  });
});
