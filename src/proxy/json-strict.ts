import { PolicyError } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const MAX_DEPTH = 64;

/**
 * Strict RFC 8259 parser for request bodies. Unlike JSON.parse it refuses duplicate keys (Go's
 * decoder silently keeps the last one, so `{"Privileged":false,"Privileged":true}` would check one
 * value and run another), trailing data (Go decodes only the first value), and deep nesting.
 * Objects have a null prototype so a "__proto__" key is plain data.
 */
export function parseStrictJson(text: string): JsonValue {
  const parser = new Parser(text);
  parser.ws();
  const value = parser.value(0);
  parser.ws();
  if (parser.pos !== text.length) parser.fail('unexpected data after the JSON value');
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new PolicyError('json-syntax', `request body is not strict JSON: ${what} at offset ${this.pos}`);
  }

  ws(): void {
    for (;;) {
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else return;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new PolicyError('json-too-deep', `request body nests deeper than ${MAX_DEPTH} levels`);
    const c = this.s[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, val] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return val;
      }
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
  }

  object(depth: number): JsonObject {
    const out = Object.create(null) as JsonObject;
    this.pos++;
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.s[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        throw new PolicyError('json-duplicate-key', `request body repeats the key ${JSON.stringify(key)}`);
      }
      this.ws();
      if (this.s[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      this.ws();
      out[key] = this.value(depth + 1);
      this.ws();
      const sep = this.s[this.pos++];
      if (sep === '}') return out;
      if (sep !== ',') this.fail('expected "," or "}"');
      this.ws();
    }
  }

  array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const sep = this.s[this.pos++];
      if (sep === ']') return out;
      if (sep !== ',') this.fail('expected "," or "]"');
    }
  }

  string(): string {
    const start = ++this.pos;
    let out = '';
    let chunk = start;
    for (;;) {
      const c = this.s.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c < 0x20) this.fail('control character in string');
      if (c === 0x22) {
        out += this.s.slice(chunk, this.pos++);
        return out;
      }
      if (c === 0x5c) {
        out += this.s.slice(chunk, this.pos);
        out += this.escape();
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private escape(): string {
    const e = this.s[this.pos + 1];
    this.pos += 2;
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (e !== undefined && e in simple) return simple[e]!;
    if (e === 'u') {
      const hex = this.s.slice(this.pos, this.pos + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
      this.pos += 4;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail('bad escape');
  }

  number(): number {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.pos, this.pos + 400));
    if (!m) this.fail('bad number');
    this.pos += m[0].length;
    return Number(m[0]);
  }
}

export const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How Go's encoding/json matches an object key to a struct field: case-insensitively. Keys that are
 * not plain ASCII are refused outright (Go also folds U+017F "ſ" to S and U+212A Kelvin to K, so
 * "Bindſ" would reach Binds); no Docker field name needs them.
 */
export function foldKey(key: string, at: string): string {
  if (!/^[\x20-\x7e]*$/.test(key)) {
    throw new PolicyError('json-key', `${at}${JSON.stringify(key)} is not an ASCII field name`);
  }
  return key.toUpperCase();
}

/**
 * Reads a JSON object that Go decodes into a struct: each key is matched case-insensitively to
 * one of `fields`; unknown fields and two spellings of the same field are refused. Returns the
 * present fields under their canonical names.
 */
export function readStruct(value: JsonValue | undefined, at: string, fields: readonly string[]): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  if (value === undefined || value === null) return out;
  if (!isObject(value)) throw new PolicyError('json-type', `${at || 'body'} must be a JSON object`);
  const byFold = new Map(fields.map((f) => [f.toUpperCase(), f]));
  for (const [key, inner] of Object.entries(value)) {
    const canonical = byFold.get(foldKey(key, at));
    if (canonical === undefined) {
      throw new PolicyError('unknown-field', `${at}${key} is not an allowed field (allowlist)`);
    }
    if (out.has(canonical)) {
      throw new PolicyError('json-duplicate-key', `${at}${canonical} appears twice with different letter case`);
    }
    out.set(canonical, inner);
  }
  return out;
}
