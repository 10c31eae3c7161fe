import { PolicyError } from './errors.js';
import { isObject, type JsonObject } from './json-strict.js';
import { OWNER_FILTER } from './labels.js';
import { queryJson } from './body-policy/query-json.js';

/**
 * Adds label=cloud.helvetia.managed=true to a `filters` query value (both the list form
 * {"label":["a=b"]} and the legacy map form {"label":{"a=b":true}}). Docker ANDs label filters, so
 * the result only ever shows owned objects.
 */
export function injectOwnerFilter(raw: string | undefined): string {
  const parsed = raw === undefined || raw === '' ? {} : queryJson('filters', raw);
  if (!isObject(parsed)) throw new PolicyError('query', 'filters must be a JSON object');
  const filters = Object.assign(Object.create(null), parsed) as JsonObject;
  const label = filters.label;
  if (label === undefined || label === null) {
    filters.label = [OWNER_FILTER];
  } else if (Array.isArray(label)) {
    if (!label.every((v) => typeof v === 'string')) throw new PolicyError('query', 'filters.label must list strings');
    filters.label = [...label, OWNER_FILTER];
  } else if (isObject(label)) {
    filters.label = Object.assign(Object.create(null), label, { [OWNER_FILTER]: true }) as JsonObject;
  } else {
    throw new PolicyError('query', 'filters.label must be a list or a map');
  }
  return JSON.stringify(filters);
}
