import { randomBytes } from 'node:crypto';

/**
 * The sandbox keeps no state: its upstream id carries everything needed to
 * answer for the job (start time, length, size, whether it must fail), so
 * jobs survive a restart of Reelay exactly like real upstream jobs do.
 */
export interface SandboxJob {
  startedAt: number;
  generationMs: number;
  seconds: string;
  size: string;
  fail: boolean;
}

const PREFIX = 'sbx_';

export function encodeJob(job: SandboxJob): string {
  const body = [job.startedAt, job.generationMs, job.seconds, job.size, job.fail ? 1 : 0, randomBytes(6).toString('hex')];
  return PREFIX + Buffer.from(body.join('|')).toString('base64url');
}

export function decodeJob(id: string): SandboxJob | undefined {
  if (!id.startsWith(PREFIX)) return undefined;
  const parts = Buffer.from(id.slice(PREFIX.length), 'base64url').toString('utf8').split('|');
  if (parts.length !== 6) return undefined;
  const [startedAt, generationMs, seconds, size, fail] = parts;
  const job = { startedAt: Number(startedAt), generationMs: Number(generationMs), seconds: seconds!, size: size!, fail: fail === '1' };
  return Number.isFinite(job.startedAt) && Number.isFinite(job.generationMs) ? job : undefined;
}
