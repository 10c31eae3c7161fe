import { isObject, type JsonObject, type JsonValue } from './json-strict.js';

/** The ownership label: forced on everything created through the proxy, required to touch it later. */
export const OWNER_LABEL = 'cloud.helvetia.managed';
export const OWNER_VALUE = 'true';
export const OWNER_FILTER = `${OWNER_LABEL}=${OWNER_VALUE}`;

/** Returns the labels with the ownership label set (overriding any value the client sent). */
export function withOwnerLabel(labels: JsonValue | undefined): JsonObject {
  const out = Object.create(null) as JsonObject;
  if (isObject(labels)) Object.assign(out, labels);
  out[OWNER_LABEL] = OWNER_VALUE;
  return out;
}

export const isOwnedLabels = (labels: unknown): boolean =>
  typeof labels === 'object' && labels !== null && (labels as Record<string, unknown>)[OWNER_LABEL] === OWNER_VALUE;
