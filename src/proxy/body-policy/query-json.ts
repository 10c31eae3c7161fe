import { PolicyError } from '../errors.js';
import { parseStrictJson, type JsonValue } from '../json-strict.js';

/** Parses a JSON-valued query parameter (filters, labels, buildargs) strictly. */
export function queryJson(name: string, raw: string): JsonValue {
  try {
    return parseStrictJson(raw);
  } catch (error) {
    if (error instanceof PolicyError) throw new PolicyError(error.rule, `query parameter ${name}: ${error.message}`);
    throw error;
  }
}
