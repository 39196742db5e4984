import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CopyAbandonedError, tee } from '../../src/storage/tee.js';
import { chunked, readAll } from './content-storage.contract.js';

const data = Buffer.alloc(1024 * 1024, 3);
/** Resolves with the error `stream` failed with. */
const failure = (stream: Readable): Promise<Error> => new Promise((resolve) => stream.once('error', resolve));

describe('tee', () => {
  it('gives the client and the copy every byte', async () => {
    const { client, copy } = tee(chunked(data), 8 * 1024 * 1024);
    const [a, b] = await Promise.all([readAll(client), readAll(copy)]);
    expect([a.equals(data), b.equals(data)]).toEqual([true, true]);
  });

  it('abandons a copy that falls too far behind, never slowing the client', async () => {
    const { client, copy } = tee(chunked(data), 256 * 1024);
    const abandoned = failure(copy);
    // Nobody reads the copy: the client is served in full all the same.
    expect((await readAll(client)).equals(data)).toBe(true);
    expect(await abandoned).toBeInstanceOf(CopyAbandonedError);
  });

  it('abandons the copy when the client goes away before the end, and stops reading the source', async () => {
    const source = new PassThrough();
    const { client, copy } = tee(source, 8 * 1024 * 1024);
    const abandoned = failure(copy);
    copy.resume();
    source.write(Buffer.alloc(1000));
    client.destroy();
    expect((await abandoned).message).toMatch(/client went away/);
    await finished(source).catch(() => undefined);
    expect(source.destroyed).toBe(true);
  });

  it('keeps a copy whose source ended even when the client is destroyed right after', async () => {
    const { client, copy } = tee(chunked(data), 8 * 1024 * 1024);
    const copied = readAll(copy);
    expect((await readAll(client)).equals(data)).toBe(true);
    client.destroy();
    expect((await copied).equals(data)).toBe(true);
  });

  it('abandons the copy and fails the client when the source fails', async () => {
    const source = new PassThrough();
    const { client, copy } = tee(source, 8 * 1024 * 1024);
    const [clientFailed, abandoned] = [failure(client), failure(copy)];
    source.destroy(new Error('upstream reset'));
    expect((await clientFailed).message).toBe('upstream reset');
    expect(await abandoned).toBeInstanceOf(CopyAbandonedError);
  });
});
