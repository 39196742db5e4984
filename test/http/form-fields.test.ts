import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { emptyForm, setBracketedField, type FormObject } from '../../src/http/form-fields.js';

const build = (fields: [string, unknown][]): FormObject => {
  const form = emptyForm();
  for (const [name, value] of fields) setBracketedField(form, name, value);
  return form;
};

/** Plain JSON view: null-prototype objects compare equal to the literals they hold. */
const plain = (form: FormObject): unknown => JSON.parse(JSON.stringify(form));

describe('setBracketedField', () => {
  it.each([
    [[['prompt', 'p']], { prompt: 'p' }],
    [[['input_reference[image_url]', 'https://x/y.png']], { input_reference: { image_url: 'https://x/y.png' } }],
    [[['tags[]', 'a'], ['tags[]', 'b']], { tags: ['a', 'b'] }],
    [[['characters[][id]', 'c1'], ['characters[][id]', 'c2']], { characters: [{ id: 'c1' }, { id: 'c2' }] }],
    [[['characters[][id]', 'c1'], ['characters[][name]', 'n1']], { characters: [{ id: 'c1', name: 'n1' }] }],
    // Not bracket notation, or deeper than Reelay reads: kept whole, so validation names it as unknown.
    [[['a[b][c][d]', 'x']], { 'a[b][c][d]': 'x' }],
    [[['a[b', 'x']], { 'a[b': 'x' }],
    [[['a[b][c]', 'x']], { 'a[b][c]': 'x' }],
    [[['toString', 'x']], { toString: 'x' }],
    [[['input_reference[hasOwnProperty]', 'x']], { input_reference: { hasOwnProperty: 'x' } }],
  ] as [[string, unknown][], unknown][])('decodes %j', (fields, expected) => {
    expect(plain(build(fields))).toEqual(expected);
  });

  it('builds only null-prototype objects, so no name can reach a prototype', () => {
    const form = build([['input_reference[image_url]', 'u'], ['characters[][id]', 'c']]);
    expect(Object.getPrototypeOf(form)).toBeNull();
    expect(Object.getPrototypeOf(form.input_reference)).toBeNull();
    expect(Object.getPrototypeOf((form.characters as unknown[])[0])).toBeNull();
  });

  it.each([
    '__proto__',
    'constructor',
    'prototype',
    '__proto__[seconds]',
    'constructor[prototype][seconds]',
    'prototype[x]',
    'input_reference[__proto__]',
    'input_reference[constructor]',
    'input_reference[prototype]',
    'characters[][__proto__]',
    'x[][constructor]',
    '__proto__[]',
    'a[__proto__][b]',
    'a[b][c][__proto__]',
  ])('refuses %s with 400 invalid_field_name naming it, and pollutes nothing', (name) => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const err = (() => {
      try {
        build([[name, 'polluted']]);
      } catch (e) {
        return e;
      }
      return undefined;
    })() as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect({ status: err.status, code: err.code, param: err.param }).toEqual({ status: 400, code: 'invalid_field_name', param: name });
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).seconds).toBeUndefined();
  });

  it.each([
    [['prompt', 'a'], ['prompt', 'b']],
    [['prompt', 'a'], ['prompt[x]', 'b']],
    [['input_reference[image_url]', 'a'], ['input_reference', 'b']],
    [['input_reference[image_url]', 'a'], ['input_reference[image_url]', 'b']],
    [['tags[]', 'a'], ['tags[x]', 'b']],
  ] as [string, string][][])('refuses a parameter given twice: %j', (...fields) => {
    expect(() => build(fields)).toThrow(expect.objectContaining({ status: 400, code: 'duplicate_parameter' }) as Error);
  });
});
