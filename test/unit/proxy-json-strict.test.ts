import { describe, expect, it } from 'vitest';
import { ruleOf } from '../helpers/thrown.js';
import { foldKey, parseStrictJson, readStruct } from '../../src/proxy/json-strict.js';


describe('parseStrictJson', () => {
  it('parses the same values as JSON.parse for valid documents', () => {
    const samples = ['{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"\\u00e9\\n\\"x\\""}}', '[]', '"s"', '0', ' {"k" : "v" } '];
    for (const text of samples) expect(JSON.stringify(parseStrictJson(text))).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('refuses exact duplicate keys at any depth', () => {
    expect(ruleOf(() => parseStrictJson('{"Privileged":false,"Privileged":true}'))).toBe('json-duplicate-key');
    expect(ruleOf(() => parseStrictJson('{"HostConfig":{"Binds":[],"Binds":["/:/host"]}}'))).toBe('json-duplicate-key');
  });

  it('refuses trailing data that Go would ignore, comments and trailing commas', () => {
    expect(ruleOf(() => parseStrictJson('{"Image":"x"} {"HostConfig":{"Privileged":true}}'))).toBe('json-syntax');
    expect(ruleOf(() => parseStrictJson('{"a":1,}'))).toBe('json-syntax');
    expect(ruleOf(() => parseStrictJson('{"a":1 /* c */}'))).toBe('json-syntax');
    expect(ruleOf(() => parseStrictJson("{'a':1}"))).toBe('json-syntax');
    expect(ruleOf(() => parseStrictJson('{"a":01}'))).toBe('json-syntax');
  });

  it('refuses absurd nesting', () => {
    expect(ruleOf(() => parseStrictJson('['.repeat(200) + ']'.repeat(200)))).toBe('json-too-deep');
  });

  it('keeps "__proto__" as plain data', () => {
    const value = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('readStruct (Go struct decoding)', () => {
  const fields = ['Privileged', 'Binds', 'CapAdd'];

  it('matches keys case-insensitively and returns canonical names', () => {
    const got = readStruct(parseStrictJson('{"privileged":true,"BINDS":[],"capadd":null}'), 'HostConfig.', fields);
    expect([...got.keys()]).toEqual(['Privileged', 'Binds', 'CapAdd']);
    expect(got.get('Privileged')).toBe(true);
  });

  it('refuses two spellings of the same field', () => {
    expect(ruleOf(() => readStruct(parseStrictJson('{"Privileged":false,"privileged":true}'), '', fields))).toBe('json-duplicate-key');
  });

  it('refuses unknown fields (allowlist)', () => {
    expect(ruleOf(() => readStruct(parseStrictJson('{"Privileged":false,"Devices":[]}'), '', fields))).toBe('unknown-field');
  });

  it('refuses non-ASCII keys that Go would fold onto a field (long s, Kelvin sign)', () => {
    expect(ruleOf(() => readStruct(parseStrictJson('{"Bind\u017f":["/:/host"]}'), '', fields))).toBe('json-key');
    expect(ruleOf(() => foldKey('\u212aernelMemory', ''))).toBe('json-key');
  });
});
