import { describe, expect, it } from 'vitest';
import { CredentialPool } from '../../../src/providers/http/credential-pool.js';
import { observedState } from '../../../src/providers/http/observed-state.js';
import type { UpstreamState } from '../../../src/providers/types.js';
import { captureLogger, manualClock } from './log-capture.js';

/** A key with no `sk-` shape: only the pool knows it is one. */
const KEY = 'aiml0123456789abcdef0123456789ab';

function setup() {
  const log = captureLogger();
  const pool = new CredentialPool('up', [KEY], { clock: manualClock(), logger: log.logger });
  return { log, pool };
}

describe('observedState', () => {
  it('scrubs a configured key echoed in a failed job error', () => {
    const { log, pool } = setup();
    const state: UpstreamState = { status: 'failed', rawStatus: 'error', error: { code: `bad_${KEY}`, message: `API key ${KEY} has no access to this model` } };
    const out = observedState(state, pool, log.logger, 'job_1');
    expect(out.error).toEqual({ code: 'bad_[redacted]', message: 'API key [redacted] has no access to this model' });
    expect(JSON.stringify(out)).not.toContain(KEY);
    expect(state.error!.message).toContain(KEY); // the input is not mutated
  });

  it('returns a state with nothing to scrub as it is', () => {
    const { log, pool } = setup();
    const state: UpstreamState = { status: 'failed', error: { code: 'generation_failed', message: 'moderation' } };
    expect(observedState(state, pool, log.logger, 'job_1')).toBe(state);
  });

  it('logs an unknown status word, without the key', () => {
    const { log, pool } = setup();
    observedState({ status: undefined, rawStatus: 'warming_up' }, pool, log.logger, 'job_1');
    const line = log.lines.find((l) => l.includes('warming_up'));
    expect(line).toBeDefined();
    expect(line).toContain('job_1');
  });
});
