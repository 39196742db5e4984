import { z } from 'zod';

/**
 * The audit log: one entry per admin action, written by the same atomic step
 * as the change it records, so the log can neither miss a change nor record
 * one that did not happen. `changes` names the changed fields and their new
 * values; a secret or a digest never goes in.
 */

/** The actions of the key registry; other admin routes may record their own (`<noun>.<verb>`). */
export const KEY_ACTIONS = ['key.create', 'key.update', 'key.rotate', 'key.revoke'] as const;

/** The id of an entry: a Redis stream id (`<ms>-<seq>`); the memory store mints the same shape. */
export const AUDIT_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;

export const AuditEntrySchema = z.strictObject({
  id: z.string().regex(AUDIT_ID),
  /** Unix seconds. */
  at: z.number().int(),
  /** The admin key's name. */
  actor: z.string(),
  action: z.string().regex(/^[a-z_]+\.[a-z_]+$/),
  key_id: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()),
  client_ip: z.string().nullable(),
  request_id: z.string().nullable(),
});
export type AuditEntry = z.output<typeof AuditEntrySchema>;

/** An entry before the store gives it its id. */
export type AuditInput = Omit<AuditEntry, 'id'>;

/** Who asked for an admin action, from where: the parts of an entry the HTTP layer knows. */
export type AuditContext = Pick<AuditInput, 'actor' | 'client_ip' | 'request_id'>;

/** Orders two audit ids as their stores do: by time, then by sequence. */
export function compareAuditIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
