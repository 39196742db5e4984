import type { BudgetLimits, Remaining, WindowTotals } from './ledger.js';

const left = (limit: number | undefined, used: number): number | undefined => (limit === undefined ? undefined : Math.max(0, limit - used));

/** What a key may still spend: its limits less what is held and delivered in each window. */
export function remainingOf(limits: BudgetLimits, day: WindowTotals, month: WindowTotals): Remaining {
  return {
    secondsDay: left(limits.secondsPerDay, day.reserved + day.settled),
    secondsMonth: left(limits.secondsPerMonth, month.reserved + month.settled),
    usdMicrosMonth: left(limits.usdMicrosPerMonth, month.usdMicrosReserved + month.usdMicrosSettled),
  };
}

/** The first window the job does not fit in, or undefined when it fits all of them. */
export function overBudget(
  limits: BudgetLimits,
  day: WindowTotals,
  month: WindowTotals,
  seconds: number,
  usdMicros: number,
): 'seconds_day' | 'seconds_month' | 'usd_month' | undefined {
  const r = remainingOf(limits, day, month);
  if (r.secondsDay !== undefined && seconds > r.secondsDay) return 'seconds_day';
  if (r.secondsMonth !== undefined && seconds > r.secondsMonth) return 'seconds_month';
  if (r.usdMicrosMonth !== undefined && usdMicros > r.usdMicrosMonth) return 'usd_month';
  return undefined;
}
