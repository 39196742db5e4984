/**
 * InflightStore: the non-terminal jobs each gateway key has in flight, for
 * `max_concurrent`. Admission is one atomic check-and-add, so two instances
 * can never both admit a key's last slot. Every slot carries a deadline: a
 * slot whose release was lost (an instance died at the wrong moment) frees
 * itself then instead of blocking the key for ever. Two implementations
 * (memory, Redis) pass test/stores/inflight-store.contract.ts.
 */

export interface AcquireOptions {
  /** At most this many slots; undefined admits always but still counts the job. */
  limit: number | undefined;
  now: number;
  /** The slot frees itself at this time unless held longer with hold(). */
  holdUntil: number;
}

export interface InflightStore {
  /** Takes a slot for job `id` of `owner`; false when the owner's limit is reached. Idempotent per id. */
  acquire(owner: string, id: string, options: AcquireOptions): Promise<boolean>;
  /** Moves the deadline of an admitted job's slot (e.g. once its record is stored); no-op for unknown ids. */
  hold(owner: string, id: string, options: { now: number; until: number }): Promise<void>;
  /** Frees the slot of job `id`; idempotent. */
  release(owner: string, id: string): Promise<void>;
  /** Slots in use at `now`. */
  count(owner: string, now: number): Promise<number>;
}
