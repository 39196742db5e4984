import type { InflightStore } from '../stores/inflight-store.js';
import {
  emptyTotals,
  USAGE_METRICS,
  type AdmitRequest,
  type BudgetLedger,
  type JobRef,
  type UsageMetric,
  type UsageRow,
  type WindowTotals,
} from './ledger.js';
import { overBudget, remainingOf } from './remaining.js';

interface Held {
  state: 'reserved' | 'settled' | 'released';
  model: string;
  seconds: number;
  usdMicros: number;
  request: AdmitRequest;
}

const emptyMetrics = (): Record<UsageMetric, number> => Object.fromEntries(USAGE_METRICS.map((m) => [m, 0])) as Record<UsageMetric, number>;

/**
 * BudgetLedger for one process, sharing the process's concurrency slots. Each
 * step changes its figures before its first await, so two admissions can
 * never both see the same remaining budget.
 */
export function createMemoryBudgetLedger(inflight: InflightStore): BudgetLedger {
  const windows = new Map<string, WindowTotals>();
  const held = new Map<string, Held>();
  const usage = new Map<string, Map<string, Record<UsageMetric, number>>>();
  const owners = new Map<string, string>();

  const windowOf = (owner: string, kind: 'day' | 'month', name: string): WindowTotals => {
    const key = `${owner}\u0000${kind}\u0000${name}`;
    let w = windows.get(key);
    if (!w) windows.set(key, (w = emptyTotals()));
    return w;
  };
  const usageOf = (owner: string, day: string, model: string): Record<UsageMetric, number> => {
    const key = `${owner}\u0000${day}`;
    let byModel = usage.get(key);
    if (!byModel) usage.set(key, (byModel = new Map()));
    let m = byModel.get(model);
    if (!m) byModel.set(model, (m = emptyMetrics()));
    return m;
  };
  const heldKey = (owner: string, jobId: string) => `${owner}\u0000${jobId}`;

  /** Applies a job's figures to its windows and usage, with `sign` -1 to undo. */
  const count = (r: AdmitRequest, sign: 1 | -1) => {
    for (const w of [windowOf(r.owner, 'day', r.day), windowOf(r.owner, 'month', r.month)]) {
      w.jobs += sign;
      w.reserved += sign * r.seconds;
      w.usdMicrosReserved += sign * r.usdMicros;
    }
    const u = usageOf(r.owner, r.day, r.model);
    u.jobs_created += sign;
    u.seconds_reserved += sign * r.seconds;
    u.usd_micros += sign * r.usdMicros;
  };

  return {
    async admit(r) {
      const day = windowOf(r.owner, 'day', r.day);
      const month = windowOf(r.owner, 'month', r.month);
      if (held.has(heldKey(r.owner, r.jobId))) return { admitted: true, remaining: remainingOf(r.limits, day, month) };
      const over = overBudget(r.limits, day, month, r.seconds, r.usdMicros);
      if (over) return { admitted: false, reason: over, remaining: remainingOf(r.limits, day, month) };
      // Counted before the await below: a concurrent admission already sees this reservation.
      count(r, 1);
      held.set(heldKey(r.owner, r.jobId), { state: 'reserved', model: r.model, seconds: r.seconds, usdMicros: r.usdMicros, request: r });
      if (!(await inflight.acquire(r.owner, r.jobId, { limit: r.limits.maxConcurrent, now: r.now, holdUntil: r.holdUntil }))) {
        count(r, -1);
        held.delete(heldKey(r.owner, r.jobId));
        return { admitted: false, reason: 'concurrency', remaining: remainingOf(r.limits, day, month) };
      }
      return { admitted: true, remaining: remainingOf(r.limits, day, month) };
    },

    async release(job: JobRef, options = {}) {
      const h = held.get(heldKey(job.owner, job.jobId));
      if (!h || h.state !== 'reserved') return false;
      if (options.rejected) {
        count(h.request, -1);
        held.delete(heldKey(job.owner, job.jobId));
        return true;
      }
      h.state = 'released';
      for (const w of [windowOf(job.owner, 'day', job.day), windowOf(job.owner, 'month', job.month)]) {
        w.reserved -= h.seconds;
        w.released += h.seconds;
        w.usdMicrosReserved -= h.usdMicros;
      }
      const u = usageOf(job.owner, job.day, h.model);
      u.jobs_failed += 1;
      u.seconds_reserved -= h.seconds;
      u.seconds_released += h.seconds;
      u.usd_micros -= h.usdMicros;
      return true;
    },

    async settle(job, delivered) {
      const h = held.get(heldKey(job.owner, job.jobId));
      if (!h || h.state !== 'reserved') return false;
      h.state = 'settled';
      const usd = h.seconds > 0 ? Math.round((h.usdMicros * delivered) / h.seconds) : 0;
      const back = Math.max(0, h.seconds - delivered);
      for (const w of [windowOf(job.owner, 'day', job.day), windowOf(job.owner, 'month', job.month)]) {
        w.reserved -= h.seconds;
        w.settled += delivered;
        w.released += back;
        w.usdMicrosReserved -= h.usdMicros;
        w.usdMicrosSettled += usd;
      }
      const u = usageOf(job.owner, job.day, h.model);
      u.jobs_completed += 1;
      u.seconds_reserved -= h.seconds;
      u.seconds_settled += delivered;
      u.seconds_released += back;
      u.usd_micros += usd - h.usdMicros;
      return true;
    },

    async totals(owner, day, month) {
      return { day: { ...windowOf(owner, 'day', day) }, month: { ...windowOf(owner, 'month', month) } };
    },

    async usage(ownerList, days) {
      const rows: UsageRow[] = [];
      for (const owner of ownerList) {
        for (const day of days) {
          for (const [model, metrics] of usage.get(`${owner}\u0000${day}`) ?? []) rows.push({ owner, day, model, metrics: { ...metrics } });
        }
      }
      return rows;
    },

    async owners() {
      return new Map(owners);
    },

    async registerOwner(owner, keyId) {
      owners.set(owner, keyId);
    },
  };
}
