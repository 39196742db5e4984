import { PassThrough, pipeline, Transform, type Readable } from 'node:stream';

/**
 * Splits a provider's body between the client and a storage copy. The client
 * sets the pace and never waits for storage: when the copy falls more than
 * `maxLagBytes` behind (slow storage, a fast client), when the client goes
 * away before the end, or when the source fails, the copy is abandoned (its
 * stream errors, so the driver stores nothing) and the client's download goes
 * on, or ends, exactly as it would have without a copy.
 */
export interface Tee {
  /** What the client is sent. */
  client: Readable;
  /** What storage reads; errors with CopyAbandonedError when the copy is given up. */
  copy: Readable;
}

export class CopyAbandonedError extends Error {
  constructor(reason: string) {
    super(`stream-through copy abandoned: ${reason}`);
    this.name = 'CopyAbandonedError';
  }
}

export function tee(source: Readable, maxLagBytes: number): Tee {
  const copy = new PassThrough();
  let copying = true;
  let sourceEnded = false;
  const abandon = (reason: string): void => {
    if (!copying) return;
    copying = false;
    copy.destroy(new CopyAbandonedError(reason));
  };
  const client = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      // The driver may have stopped reading on its own (over max_bytes): then there is nothing to feed.
      if (copying && !copy.destroyed) {
        copy.write(chunk);
        if (copy.readableLength + copy.writableLength > maxLagBytes) abandon('storage fell behind the client');
      }
      done(null, chunk);
    },
    flush(done) {
      // The copy has every byte now, whatever happens to the client's side from here.
      sourceEnded = true;
      if (copying && !copy.destroyed) copy.end();
      done();
    },
  });
  client.on('close', () => {
    if (!sourceEnded) abandon('the client went away');
  });
  pipeline(source, client, (err) => {
    if (err) abandon(err.message);
  });
  return { client, copy };
}
