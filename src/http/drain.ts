import type { IncomingMessage } from 'node:http';

export interface DrainLimits {
  /** Bytes to read and discard beyond what was already read. */
  maxBytes: number;
  /** Give up after this long; the connection is then closed. */
  timeoutMs: number;
}

/**
 * Reads and discards what is left of a request body, so the client, which is
 * often still uploading when an early error (413, 415, 400) is ready, reads
 * that answer instead of a connection reset. Resolves true when the body was
 * read to its end and the connection can stay open; false when the body is
 * larger than the bound, too slow, or broken, and the connection must close.
 */
export function drainRequest(raw: IncomingMessage, limits: DrainLimits): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  // A declared length beyond the bound will not fit: close at once.
  if (Number(raw.headers['content-length']) - raw.socket.bytesRead > limits.maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', onEnd).off('error', onFail).off('close', onClose);
      resolve(drained);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limits.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFail = () => finish(false);
    const onClose = () => finish(raw.complete);
    const timer = setTimeout(onFail, limits.timeoutMs);
    raw.on('data', onData).on('end', onEnd).on('error', onFail).on('close', onClose);
    // Whatever was reading the body (busboy) lets go of it; the rest flows here.
    raw.unpipe();
    raw.resume();
  });
}
