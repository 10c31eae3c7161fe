import { PolicyError } from '../errors.js';
import { readStruct, type JsonObject, type JsonValue } from '../json-strict.js';

/** Highest pids limit the worker may put on a build step (BUILD_PIDS_LIMIT's own maximum). */
export const BUILD_STEP_PIDS_MAX = 65536;

export const BUILD_STEP_RULE = 'build-step-update';

const refuse = (message: string): never => {
  throw new PolicyError(BUILD_STEP_RULE, `a build step container (not managed by helvetia) may only get {"PidsLimit": n}: ${message}`);
};

/**
 * POST /containers/{id}/update on a step container of a build this proxy forwarded: the body must
 * be exactly {"PidsLimit": n} (key matched case-insensitively, once), n an integer from 1 to
 * BUILD_STEP_PIDS_MAX, and never above the step's current limit (`current` > 0): it can only
 * tighten. Returns the body forwarded in its canonical spelling.
 */
export function checkBuildStepUpdate(body: JsonValue, current: number): JsonObject {
  let fields: Map<string, JsonValue>;
  try {
    fields = readStruct(body, '', ['PidsLimit']);
  } catch (error) {
    if (error instanceof PolicyError) return refuse(error.message);
    throw error;
  }
  const limit = fields.get('PidsLimit');
  if (limit === undefined) return refuse(body === null ? 'the body is empty' : 'PidsLimit is missing');
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > BUILD_STEP_PIDS_MAX) {
    return refuse(`PidsLimit must be an integer from 1 to ${BUILD_STEP_PIDS_MAX}, not ${JSON.stringify(limit)}`);
  }
  if (current > 0 && limit > current) return refuse(`PidsLimit ${limit} would raise the current limit of ${current}`);
  return { PidsLimit: limit };
}
