import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdmitRequest, BudgetLedger, BudgetLimits } from '../../src/budgets/ledger.js';
import { windowsAt } from '../../src/budgets/windows.js';
import type { InflightStore } from '../../src/stores/inflight-store.js';
import { mintVideoId } from '../../src/videos/video-id.js';

/**
 * The behaviour every BudgetLedger shares, run on memory, Redis and Redis
 * Cluster by ledger.test.ts. Each test picks its own `now`; no clock needed.
 */

export interface LedgerHarness {
  ledger: BudgetLedger;
  inflight: InflightStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const OWNER = 'team {eu}|alice';

let seq = 0;
function request(limits: BudgetLimits, over: Partial<AdmitRequest> = {}): AdmitRequest {
  const now = over.now ?? T0;
  return {
    owner: OWNER,
    jobId: mintVideoId(now + seq++),
    model: 'sora-2',
    seconds: 4,
    usdMicros: 400_000,
    ...windowsAt(now),
    limits,
    now,
    holdUntil: now + 600_000,
    ...over,
  };
}
const ref = (r: AdmitRequest) => ({ owner: r.owner, jobId: r.jobId, day: r.day, month: r.month });

export function describeLedgerContract(name: string, factory: () => Promise<LedgerHarness>): void {
  describe(`BudgetLedger contract: ${name}`, () => {
    let h: LedgerHarness;
    let ledger: BudgetLedger;
    beforeEach(async () => {
      h = await factory();
      ledger = h.ledger;
    });
    afterEach(() => h.cleanup());

    it('admits within every window and answers what is left after the reservation', async () => {
      const r = request({ secondsPerDay: 10, secondsPerMonth: 100, usdMicrosPerMonth: 1_000_000 });
      expect(await ledger.admit(r)).toEqual({ admitted: true, remaining: { secondsDay: 6, secondsMonth: 96, usdMicrosMonth: 600_000 } });
      expect(await h.inflight.count(OWNER, T0)).toBe(1);
      const { day, month } = await ledger.totals(OWNER, r.day, r.month);
      expect(day).toEqual({ jobs: 1, reserved: 4, settled: 0, released: 0, usdMicrosReserved: 400_000, usdMicrosSettled: 0 });
      expect(month).toEqual(day);
    });

    it('answers undefined remaining for windows without a limit', async () => {
      expect(await ledger.admit(request({}))).toEqual({ admitted: true, remaining: {} });
    });

    it.each([
      [{ secondsPerDay: 6 }, 'seconds_day', { secondsDay: 2 }],
      [{ secondsPerMonth: 7 }, 'seconds_month', { secondsMonth: 3 }],
      [{ usdMicrosPerMonth: 700_000 }, 'usd_month', { usdMicrosMonth: 300_000 }],
    ] as const)('refuses a job over %j (%s) and changes nothing', async (limits, reason, remaining) => {
      const first = request(limits);
      expect((await ledger.admit(first)).admitted).toBe(true);
      const second = request(limits);
      expect(await ledger.admit(second)).toEqual({ admitted: false, reason, remaining });
      expect(await h.inflight.count(OWNER, T0)).toBe(1);
      expect((await ledger.totals(OWNER, first.day, first.month)).day.jobs).toBe(1);
    });

    it('refuses over max_concurrent without spending budget, and admits once a slot is free', async () => {
      const limits = { secondsPerDay: 100, maxConcurrent: 1 };
      const a = request(limits);
      expect((await ledger.admit(a)).admitted).toBe(true);
      expect(await ledger.admit(request(limits))).toEqual({ admitted: false, reason: 'concurrency', remaining: { secondsDay: 96 } });
      await h.inflight.release(OWNER, a.jobId);
      expect((await ledger.admit(request(limits))).admitted).toBe(true);
      expect((await ledger.totals(OWNER, a.day, a.month)).day.reserved).toBe(8);
    });

    it('is idempotent per job: a second admission of one job counts nothing', async () => {
      const r = request({ secondsPerDay: 10 });
      await ledger.admit(r);
      expect(await ledger.admit(r)).toEqual({ admitted: true, remaining: { secondsDay: 6 } });
      expect((await ledger.totals(OWNER, r.day, r.month)).day).toMatchObject({ jobs: 1, reserved: 4 });
    });

    it('releases a failed job once; a released job cannot be settled', async () => {
      const r = request({ secondsPerDay: 10 });
      await ledger.admit(r);
      expect(await ledger.release(ref(r))).toBe(true);
      expect(await ledger.release(ref(r))).toBe(false);
      expect(await ledger.settle(ref(r), 4)).toBe(false);
      expect((await ledger.totals(OWNER, r.day, r.month)).day).toEqual({ jobs: 1, reserved: 0, settled: 0, released: 4, usdMicrosReserved: 0, usdMicrosSettled: 0 });
      const [row] = await ledger.usage([OWNER], [r.day]);
      expect(row!.metrics).toMatchObject({ jobs_created: 1, jobs_failed: 1, seconds_reserved: 0, seconds_released: 4, usd_micros: 0 });
    });

    it('undoes a create the provider refused: not counted as a job at all', async () => {
      const r = request({ secondsPerDay: 4 });
      await ledger.admit(r);
      expect(await ledger.release(ref(r), { rejected: true })).toBe(true);
      expect((await ledger.totals(OWNER, r.day, r.month)).day).toMatchObject({ jobs: 0, reserved: 0, released: 0 });
      expect((await ledger.usage([OWNER], [r.day]))[0]!.metrics).toMatchObject({ jobs_created: 0, seconds_reserved: 0 });
      expect((await ledger.admit(request({ secondsPerDay: 4 }))).admitted).toBe(true);
    });

    it('settles to the delivered seconds, releasing the rest and scaling the cost; a settled job cannot be released', async () => {
      const r = request({ secondsPerMonth: 100 }, { seconds: 8, usdMicros: 800_000 });
      await ledger.admit(r);
      expect(await ledger.settle(ref(r), 6)).toBe(true);
      expect(await ledger.settle(ref(r), 6)).toBe(false);
      expect(await ledger.release(ref(r))).toBe(false);
      expect((await ledger.totals(OWNER, r.day, r.month)).month).toEqual({
        jobs: 1,
        reserved: 0,
        settled: 6,
        released: 2,
        usdMicrosReserved: 0,
        usdMicrosSettled: 600_000,
      });
      expect((await ledger.usage([OWNER], [r.day]))[0]).toEqual({
        owner: OWNER,
        day: r.day,
        model: 'sora-2',
        metrics: { jobs_created: 1, jobs_completed: 1, jobs_failed: 0, seconds_reserved: 0, seconds_settled: 6, seconds_released: 2, usd_micros: 600_000 },
      });
    });

    it('keeps day windows apart: another UTC day has its whole daily budget, the month does not', async () => {
      const limits = { secondsPerDay: 4, secondsPerMonth: 8 };
      expect((await ledger.admit(request(limits))).admitted).toBe(true);
      expect((await ledger.admit(request(limits))).admitted).toBe(false);
      const yesterday = request(limits, { now: T0 - 13 * 3600_000 });
      expect([yesterday.day, yesterday.month]).toEqual(['2026-11-29', windowsAt(T0).month]);
      expect(await ledger.admit(yesterday)).toEqual({ admitted: true, remaining: { secondsDay: 0, secondsMonth: 0 } });
    });

    it('never admits more than the budget when twenty admissions race for the last 30 seconds', async () => {
      const limits = { secondsPerDay: 30 };
      const results = await Promise.all(Array.from({ length: 20 }, () => ledger.admit(request(limits))));
      expect(results.filter((r) => r.admitted).length).toBe(7);
      expect((await ledger.totals(OWNER, windowsAt(T0).day, windowsAt(T0).month)).day.reserved).toBe(28);
    });

    it('reports usage per key, day and model, and nothing for days without jobs', async () => {
      const a = request({}, { model: 'sora-2' });
      const b = request({}, { model: 'sora-2-pro', seconds: 8 });
      const c = request({}, { owner: 'bob', model: 'sora-2' });
      for (const r of [a, b, c]) await ledger.admit(r);
      const rows = await ledger.usage([OWNER, 'bob', 'nobody'], [a.day, '2026-01-01']);
      expect(rows.map((r) => [r.owner, r.model, r.metrics.seconds_reserved]).sort()).toEqual([
        ['bob', 'sora-2', 4],
        [OWNER, 'sora-2', 4],
        [OWNER, 'sora-2-pro', 8],
      ].sort());
    });

    it('remembers which key id each owner token belongs to', async () => {
      await ledger.registerOwner(OWNER, 'key_alice');
      await ledger.registerOwner('bob', 'key_bob');
      expect(Object.fromEntries(await ledger.owners())).toEqual({ [OWNER]: 'key_alice', bob: 'key_bob' });
    });
  });
}
