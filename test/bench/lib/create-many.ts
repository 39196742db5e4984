import { Pool } from 'undici';

/**
 * Setup, never measured: `count` JSON creates through Reelay's own API, as
 * many at once as `concurrency`, so a scenario starts from records and
 * schedules exactly as Reelay writes them. Any refusal throws: a scenario
 * measured over fewer jobs than it claims would report a lie.
 */
export async function createMany(o: {
  origin: string;
  headers: Record<string, string>;
  count: number;
  concurrency: number;
  prompt: (i: number) => string;
}): Promise<string[]> {
  const pool = new Pool(o.origin, { connections: o.concurrency, pipelining: 1 });
  const ids: string[] = new Array<string>(o.count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.count) {
      const i = next++;
      const res = await pool.request({
        method: 'POST',
        path: '/v1/videos',
        headers: { ...o.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sora-2', prompt: o.prompt(i) }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`create ${i} answered ${res.statusCode}: ${text.slice(0, 300)}`);
      ids[i] = (JSON.parse(text) as { id: string }).id;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, worker));
  } finally {
    await pool.close();
  }
  return ids;
}
