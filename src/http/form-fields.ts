type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function objectAt(target: Obj, key: string): Obj {
  const v = target[key];
  return isObj(v) ? v : (target[key] = {}) as Obj;
}

function arrayAt(target: Obj, key: string): unknown[] {
  const v = target[key];
  return Array.isArray(v) ? v : (target[key] = []) as unknown[];
}

/** `a[b][]` → ['a', 'b', '']; a plain name → undefined. */
function parseName(name: string): string[] | undefined {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])+)$/.exec(name);
  if (!m) return undefined;
  return [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
}

/**
 * Sets a multipart text field by its bracketed name, as the SDK encodes nested
 * values: `input_reference[image_url]` → { input_reference: { image_url } },
 * `tags[]` → { tags: [...] }, `characters[][id]` → { characters: [{ id }] }.
 * Part order does not matter. Deeper nesting keeps the raw name: nothing
 * Reelay reads is nested deeper.
 */
export function setBracketedField(target: Obj, name: string, value: string): void {
  const keys = parseName(name);
  const [head, a, b] = keys ?? [];
  if (!keys || head === undefined || keys.length > 3) {
    target[name] = value;
  } else if (keys.length === 2 && a !== '') {
    objectAt(target, head)[a!] = value;
  } else if (keys.length === 2) {
    arrayAt(target, head).push(value);
  } else if (a === '' && b !== '') {
    const list = arrayAt(target, head);
    let element = list.at(-1);
    if (!isObj(element) || b! in element) list.push((element = {}));
    (element as Obj)[b!] = value;
  } else {
    target[name] = value;
  }
}
