import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { LengthMismatchError, TooLargeError } from './content-storage.js';

/** What a meter has counted once its stream has ended. */
export interface Measured {
  size: number;
  sha256: string;
}

export interface Meter {
  stream: Transform;
  /** Valid only after the stream finished without error. */
  result(): Measured;
}

/**
 * A pass-through that hashes and counts the bytes as they go, so a driver
 * learns size and sha256 without a second read. It fails the moment the body
 * passes `maxBytes`, and at the end when the body is not `expectedBytes` long,
 * so a driver's commit step is only ever reached with a file worth keeping.
 */
export function createMeter(maxBytes: number, expectedBytes?: number): Meter {
  const hash = createHash('sha256');
  let size = 0;
  let digest: string | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new TooLargeError(maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      if (expectedBytes !== undefined && size !== expectedBytes) return done(new LengthMismatchError(expectedBytes, size));
      digest = hash.digest('hex');
      done();
    },
  });
  return {
    stream,
    result() {
      if (digest === undefined) throw new Error('the meter has not finished');
      return { size, sha256: digest };
    },
  };
}

/**
 * A body waits a moment before a driver pipes it (a temp file opening, an S3
 * upload slot), and its source may fail meanwhile (a provider resetting the
 * connection). Listening from the start keeps that from crashing the process;
 * the pipeline still fails with the error, which the destroyed stream keeps.
 */
export function adoptBody(body: Readable): Readable {
  return body.on('error', () => undefined);
}
