import { VERSION } from 'openai/version';
import { describe, expect, inject, it } from 'vitest';

describe('the SDK contract suite', () => {
  it(`runs on the openai major its project names`, () => {
    expect(Number(VERSION.split('.')[0])).toBe(inject('sdkMajor'));
  });
});
