import type { Logger } from '../../logger.js';
import type { UpstreamState } from '../types.js';
import type { CredentialPool } from './credential-pool.js';

/**
 * Every HTTP adapter's last step on a state it read from the upstream: the
 * pool's own keys are scrubbed from the job error (the pure transforms only
 * know key-shaped text, and the error reaches clients and the store), and an
 * unknown status word is logged.
 */
export function observedState(state: UpstreamState, pool: CredentialPool, log: Logger, upstreamId: string): UpstreamState {
  if (state.status === undefined) {
    log.warn({ provider: pool.providerId, upstreamId, rawStatus: state.rawStatus ?? null }, 'unknown upstream status word; keeping the last known state');
  }
  const error = state.error;
  if (error) {
    const code = pool.redact(error.code);
    const message = pool.redact(error.message);
    if (code !== error.code || message !== error.message) return { ...state, error: { ...error, code, message } };
  }
  return state;
}
