import { PolicyError } from './errors.js';
import { isObject, type JsonObject } from './json-strict.js';
import { queryJson } from './body-policy/query-json.js';

/**
 * Adds the ownership label filters (`owner`: cloud.helvetia.managed=true and
 * cloud.helvetia.owner=<token>, OwnerTokens.filters) to a `filters` query value (both the list form
 * {"label":["a=b"]} and the map form {"label":{"a=b":true}}). Docker ANDs label filters, so the
 * result only ever shows owned objects, whatever the client asked for. The result is always in the
 * map form, dockerd's own: it reads the list form only after failing to read a map (about 5 µs more
 * per list request).
 */
export function injectOwnerFilter(raw: string | undefined, owner: readonly string[]): string {
  if (owner.length === 0) throw new Error('injectOwnerFilter needs the owner filters');
  const parsed = raw === undefined || raw === '' ? {} : queryJson('filters', raw);
  if (!isObject(parsed)) throw new PolicyError('query', 'filters must be a JSON object');
  const filters = Object.create(null) as JsonObject;
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) {
      if (!value.every((v) => typeof v === 'string')) throw new PolicyError('query', `filters.${key} must list strings`);
      filters[key] = Object.fromEntries(value.map((v) => [v, true])) as JsonObject;
    } else if (isObject(value)) {
      filters[key] = value;
    } else {
      throw new PolicyError('query', `filters.${key} must be a list or a map`);
    }
  }
  filters.label = Object.assign(Object.create(null), filters.label ?? {}, Object.fromEntries(owner.map((f) => [f, true]))) as JsonObject;
  return JSON.stringify(filters);
}
