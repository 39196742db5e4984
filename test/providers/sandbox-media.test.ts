import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaPath, SANDBOX_SECONDS, SANDBOX_SIZES } from '../../src/providers/sandbox/index.js';
import { eventually, sandboxYaml, startReelay, type RunningReelay } from '../helpers/reelay.js';

/**
 * The sandbox's clips are real videos of the requested length and size. An
 * MP4 says both in its boxes: `moov/mvhd` holds the duration and timescale,
 * and the video track's `moov/trak/tkhd` its width and height (16.16 fixed
 * point). Read them directly: no ffprobe needed.
 */

interface Box {
  type: string;
  /** The box's payload (after its 8- or 16-byte header). */
  body: Buffer;
}

function boxes(data: Buffer): Box[] {
  const out: Box[] = [];
  for (let at = 0; at + 8 <= data.length; ) {
    let size = data.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      size = Number(data.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = data.length - at;
    if (size < header || at + size > data.length) throw new Error(`bad box at ${at}`);
    out.push({ type: data.toString('latin1', at + 4, at + 8), body: data.subarray(at + header, at + size) });
    at += size;
  }
  return out;
}

const child = (parent: Buffer, type: string): Box[] => boxes(parent).filter((b) => b.type === type);

/** Duration in seconds and the video track's pixel size. */
function mp4Facts(data: Buffer): { seconds: number; width: number; height: number } {
  const moov = child(data, 'moov')[0]!.body;
  const mvhd = child(moov, 'mvhd')[0]!.body;
  const v1 = mvhd[0] === 1;
  const timescale = mvhd.readUInt32BE(v1 ? 20 : 12);
  const duration = v1 ? Number(mvhd.readBigUInt64BE(24)) : mvhd.readUInt32BE(16);
  for (const trak of child(moov, 'trak')) {
    const tkhd = child(trak.body, 'tkhd')[0]!.body;
    // Width and height are the last 8 bytes of tkhd, in either version.
    const width = tkhd.readUInt32BE(tkhd.length - 8) / 65536;
    const height = tkhd.readUInt32BE(tkhd.length - 4) / 65536;
    if (width > 0) return { seconds: duration / timescale, width, height };
  }
  throw new Error('no video track');
}

describe('sandbox media', () => {
  const cases = SANDBOX_SIZES.flatMap((size) => SANDBOX_SECONDS.map((seconds) => ({ size, seconds })));

  it.each(cases)('$size for $seconds s is an MP4 of that size lasting that long', ({ size, seconds }) => {
    const facts = mp4Facts(readFileSync(mediaPath({ size, seconds }, 'video')));
    const [width, height] = size.split('x').map(Number);
    expect(facts.width).toBe(width);
    expect(facts.height).toBe(height);
    expect(facts.seconds).toBeCloseTo(Number(seconds), 1);
  });

  it('keeps the fixtures small: under 70 KB per clip', () => {
    for (const { size, seconds } of cases) expect(readFileSync(mediaPath({ size, seconds }, 'video')).length).toBeLessThan(70_000);
  });
});

describe('a sandbox video through the front door', () => {
  let reelay: RunningReelay;
  beforeAll(async () => {
    reelay = await startReelay({ yaml: sandboxYaml({ generationSeconds: 0.05 }) });
  });
  afterAll(() => reelay.close());

  it('lasts the seconds the client asked for, at its size', async () => {
    const client = reelay.client();
    const { id } = await client.videos.create({ prompt: 'twelve seconds, landscape', seconds: '12', size: '1792x1024' });
    await eventually(async () => ((await client.videos.retrieve(id)).status === 'completed' ? true : undefined));
    const bytes = Buffer.from(await (await client.videos.downloadContent(id)).arrayBuffer());
    expect(mp4Facts(bytes)).toEqual({ seconds: 12, width: 1792, height: 1024 });
  });
});
