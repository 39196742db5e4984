import { GatewayError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { GIVE_UP_CODE } from '../polling/give-up.js';
import type { Budgets } from './budgets.js';

/** Why an admission was refused, from the error budgets.admit throws (src/budgets/budgets.ts). */
const REFUSALS: Record<string, string> = {
  concurrency_limit_exceeded: 'concurrency_limit',
  insufficient_quota: 'insufficient_quota',
  model_not_priced: 'model_not_priced',
};

/**
 * Budgets that count their reservations and how each one ended, for
 * `reelay_budget_reservations_total` and `reelay_budget_settlements_total`.
 * A decorator, so the ledger logic stays free of metrics; every caller
 * (service, poller, settle handler) goes through it once runtime.ts wraps it.
 */
export function meteredBudgets(budgets: Budgets, metrics: Pick<Metrics, 'budgetReservations' | 'budgetSettlements'>): Budgets {
  const settled = async (result: string, step: Promise<void>): Promise<void> => {
    try {
      await step;
      metrics.budgetSettlements.inc({ result });
    } catch (err) {
      metrics.budgetSettlements.inc({ result: 'error' });
      throw err;
    }
  };
  return {
    ...budgets,
    async admit(principal, job) {
      try {
        const admitted = await budgets.admit(principal, job);
        metrics.budgetReservations.inc({ outcome: 'admitted' });
        return admitted;
      } catch (err) {
        const outcome = (err instanceof GatewayError && err.code !== null && REFUSALS[err.code]) || 'error';
        metrics.budgetReservations.inc({ outcome });
        throw err;
      }
    },
    reject: (owner, job) => settled('rejected', budgets.reject(owner, job)),
    settle(record) {
      const { status, error } = record.state;
      // Mirrors budgets.settle: a job given up on keeps its reservation until a late answer.
      const result = status === 'completed' ? 'settled' : error?.code === GIVE_UP_CODE ? 'kept' : 'released';
      return settled(result, budgets.settle(record));
    },
    settleLate: (record, status, seconds) => settled(status === 'completed' ? 'settled' : 'released', budgets.settleLate(record, status, seconds)),
    release: (record) => settled('released', budgets.release(record)),
  };
}
