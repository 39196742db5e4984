import { InvalidRequestError } from '../errors.js';

/** A decoded multipart form: null-prototype objects all the way down, so no field name can reach a prototype. */
export type FormObject = Record<string, unknown>;

/** Segments that would walk into a prototype on an ordinary object; rejected in every position. */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const emptyForm = (): FormObject => Object.create(null) as FormObject;

const isForm = (v: unknown): v is FormObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `a[b][]` → ['a', 'b', '']; a name that is not bracket notation → [name]. */
function parseName(name: string): string[] {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
  if (!m) return [name];
  return [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
}

const invalidName = (name: string) =>
  new InvalidRequestError(`Invalid field name '${name}': '__proto__', 'constructor' and 'prototype' are not allowed in a field name.`, {
    param: name,
    code: 'invalid_field_name',
  });

const duplicate = (name: string) =>
  new InvalidRequestError(`Parameter '${name}' is given more than once, or both as a value and as an object.`, {
    param: name,
    code: 'duplicate_parameter',
  });

function objectAt(target: FormObject, key: string, name: string): FormObject {
  const v = target[key];
  if (v === undefined) return (target[key] = emptyForm()) as FormObject;
  if (!isForm(v)) throw duplicate(name);
  return v;
}

function arrayAt(target: FormObject, key: string, name: string): unknown[] {
  const v = target[key];
  if (v === undefined) return (target[key] = []) as unknown[];
  if (!Array.isArray(v)) throw duplicate(name);
  return v;
}

function setOnce(target: FormObject, key: string, value: unknown, name: string): void {
  if (target[key] !== undefined) throw duplicate(name);
  target[key] = value;
}

/**
 * Sets a multipart field by its bracketed name, as the SDKs encode nested
 * values: `input_reference[image_url]` → { input_reference: { image_url } },
 * `tags[]` → { tags: [...] }, `characters[][id]` → { characters: [{ id }] }.
 * Part order does not matter. Names nested deeper than that, or not in bracket
 * notation, are kept whole, so validation reports them as unknown parameters.
 * A name is rejected outright when any segment is a prototype name, and a
 * parameter given twice is an error rather than a silent last-one-wins.
 */
export function setBracketedField(target: FormObject, name: string, value: unknown): void {
  const keys = parseName(name);
  if (keys.some((k) => FORBIDDEN_SEGMENTS.has(k)) || FORBIDDEN_SEGMENTS.has(name)) throw invalidName(name);
  const [head, a, b] = keys as [string, string | undefined, string | undefined];
  if (keys.length === 1 || keys.length > 3) return setOnce(target, name, value, name);
  if (keys.length === 2 && a !== '') return setOnce(objectAt(target, head, name), a!, value, name);
  if (keys.length === 2) {
    arrayAt(target, head, name).push(value);
    return;
  }
  if (a !== '' || b === '') return setOnce(target, name, value, name);
  // `x[][k]`: a new element starts whenever the last one already has `k`.
  const list = arrayAt(target, head, name);
  let element = list.at(-1);
  if (!isForm(element) || element[b!] !== undefined) list.push((element = emptyForm()));
  (element as FormObject)[b!] = value;
}
