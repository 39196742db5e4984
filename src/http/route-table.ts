/**
 * Every registered route's path pattern and methods, so a request that matches
 * a path under another method gets 405 with `Allow`, not a misleading 404.
 * Fastify's router answers only "no route"; this answers "which methods would".
 */
export interface RouteTable {
  add(method: string | readonly string[], url: string): void;
  /** The methods of every route whose pattern matches `path`, sorted; empty when none does. */
  allowed(path: string): string[];
}

interface Pattern {
  segments: readonly string[];
  methods: Set<string>;
}

const split = (path: string): string[] => path.split('/');

const matches = (pattern: readonly string[], path: readonly string[]): boolean =>
  pattern.length === path.length && pattern.every((seg, i) => (seg.startsWith(':') ? path[i] !== '' : seg === path[i]));

export function createRouteTable(): RouteTable {
  const patterns = new Map<string, Pattern>();
  return {
    add(method, url) {
      const entry = patterns.get(url) ?? { segments: split(url), methods: new Set<string>() };
      for (const m of typeof method === 'string' ? [method] : method) entry.methods.add(m);
      patterns.set(url, entry);
    },
    allowed(path) {
      const segments = split(path);
      const methods = new Set<string>();
      for (const p of patterns.values()) {
        if (matches(p.segments, segments)) p.methods.forEach((m) => methods.add(m));
      }
      return [...methods].sort();
    },
  };
}
