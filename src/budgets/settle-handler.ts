import type { EventHandler } from '../events/handler.js';
import type { Budgets } from './budgets.js';

/** Budget settlement as an outbox consumer: every terminal event settles or releases its job's reservation, idempotently. */
export function createSettleHandler(budgets: Pick<Budgets, 'settle'>): EventHandler {
  return {
    name: 'settle',
    // The key's remaining budget is right in the very next answer.
    inline: true,
    wants: () => true,
    async handle(_event, record) {
      await budgets.settle(record);
      return { done: true };
    },
  };
}
