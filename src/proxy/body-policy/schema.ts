import { PolicyError } from '../errors.js';
import { isObject, readStruct, type JsonObject, type JsonValue } from '../json-strict.js';
import type { OwnerTokens } from '../labels.js';

/** Objects a request names that must be checked on the daemon before it is forwarded. */
export interface Refs {
  /** Containers that must carry the ownership label. */
  containers: Set<string>;
  /** Named volumes that must carry the ownership label (anonymous volumes are refused). */
  volumes: Set<string>;
  /** Networks that must be owned or on the allowlist (the operator's edge network). */
  networks: Set<string>;
  /** A service's network attachments: owned (or allowlisted) overlay networks. */
  overlays: Set<string>;
}

export interface PolicyContext {
  workspaceDir: string | null;
  capAddAllow: readonly string[];
  /** The ownership labels forced on what a request creates. */
  owner: OwnerTokens;
  refs: Refs;
}

export const newRefs = (): Refs => ({ containers: new Set(), volumes: new Set(), networks: new Set(), overlays: new Set() });

/** Validates one JSON value found at `at` and returns what is forwarded in its place. */
export type Check = (value: JsonValue, at: string, ctx: PolicyContext) => JsonValue;

const typeName = (v: JsonValue): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const bad = (rule: string, at: string, message: string): never => {
  throw new PolicyError(rule, `${at} ${message}`);
};

function typed(kind: 'string' | 'boolean' | 'number'): Check {
  return (v, at) => (v === null || typeof v === kind ? v : bad('json-type', at, `must be a ${kind}, not ${typeName(v)}`));
}

export const str = typed('string');
export const bool = typed('boolean');
export const num = typed('number');

/** A JSON array (or null) whose items all pass `item`. */
export const list =
  (item: Check): Check =>
  (v, at, ctx) => {
    if (v === null) return v;
    if (!Array.isArray(v)) return bad('json-type', at, `must be an array, not ${typeName(v)}`);
    return v.map((x, i) => item(x, `${at}[${i}]`, ctx));
  };

export const strList = list(str);

/** Docker's StrSlice: a string or a list of strings. */
export const strOrList: Check = (v, at, ctx) => (typeof v === 'string' ? v : strList(v, at, ctx));

/** A JSON object used as a map (keys are data, matched exactly); values pass `item`. */
export const map =
  (item: Check, key?: (k: string, at: string) => void): Check =>
  (v, at, ctx) => {
    if (v === null) return v;
    if (!isObject(v)) return bad('json-type', at, `must be an object, not ${typeName(v)}`);
    const out = Object.create(null) as JsonObject;
    for (const [k, x] of Object.entries(v)) {
      key?.(k, at);
      out[k] = item(x, `${at}[${JSON.stringify(k)}]`, ctx);
    }
    return out;
  };

export const strMap = map(str);
/** Docker's "set" maps such as ExposedPorts and Volumes: {"key": {}}. */
export const emptyObjectMap = map((v, at) => (v === null || (isObject(v) && Object.keys(v).length === 0) ? v : bad('json-type', at, 'must be {}')));

/** A string that must be one of `allowed` (null and absent mean the daemon default). */
export const oneOf =
  (rule: string, allowed: readonly string[]): Check =>
  (v, at, ctx) => {
    const s = str(v, at, ctx);
    return s === null || allowed.includes(s as string) ? s : bad(rule, at, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${JSON.stringify(s)}`);
  };

/** Only false (or null) is allowed. */
export const mustBeFalse =
  (rule: string): Check =>
  (v, at) => (v === null || v === false ? v : bad(rule, at, 'must be false'));

/** Only true (or absent: the caller requires presence where it must) is allowed. */
export const mustBeTrue =
  (rule: string): Check =>
  (v, at) => (v === null || v === true ? v : bad(rule, at, 'must be true'));

/** Only null, "", 0, [] or {} is allowed: the feature is refused. */
export const mustBeEmpty =
  (rule: string): Check =>
  (v, at) =>
    v === null || v === '' || v === 0 || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0)
      ? v
      : bad(rule, at, 'is not allowed through the proxy');

/** Number within bounds. */
export const numIn =
  (rule: string, min: number, max: number): Check =>
  (v, at, ctx) => {
    const n = num(v, at, ctx);
    return n === null || ((n as number) >= min && (n as number) <= max) ? n : bad(rule, at, `must be between ${min} and ${max}`);
  };

/**
 * A Go struct: keys matched case-insensitively, unknown or doubled fields refused (allowlist), and
 * forwarded under their canonical names so dockerd decodes exactly what was checked.
 */
export const struct =
  (fields: Readonly<Record<string, Check>>): Check =>
  (v, at, ctx) => {
    const present = readStruct(v, at ? `${at}.` : '', Object.keys(fields));
    if (v === null) return null;
    const out = Object.create(null) as JsonObject;
    for (const [name, value] of present) out[name] = fields[name]!(value, at ? `${at}.${name}` : name, ctx);
    return out;
  };

/** Passes a value through after checking it is valid JSON of any shape (for inert fields). */
export const anyValue: Check = (v) => v;
