import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasBudget, remainingHeaders, type Budgets } from '../../budgets/budgets.js';

/**
 * Every /v1 answer to a key with a budget says what is left:
 * `x-reelay-seconds-remaining-day` / `-month` (and `x-reelay-usd-remaining-month`),
 * for each window the key limits. A create or remix sets them from its own
 * reservation; every other answer, 429s included, from figures at most a
 * second old (budgets.remaining), so reads cost no store round trip each.
 */
export const budgetHeadersPlugin = fp<{ budgets: Budgets }>(
  async (app: FastifyInstance, opts) => {
    app.addHook('onSend', async (request, reply, payload) => {
      const principal = request.principal as typeof request.principal | null;
      if (!principal || !hasBudget(principal) || reply.hasHeader('x-reelay-seconds-remaining-day') || reply.hasHeader('x-reelay-seconds-remaining-month') || reply.hasHeader('x-reelay-usd-remaining-month')) {
        return payload;
      }
      // Headers are a courtesy: a store hiccup must not fail the answer they ride on.
      const remaining = await opts.budgets.remaining(principal).catch(() => undefined);
      if (remaining) reply.headers(remainingHeaders(remaining));
      return payload;
    });
  },
  { name: 'reelay-budget-headers' },
);
