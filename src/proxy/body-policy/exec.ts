import { PolicyError } from '../errors.js';
import { isObject, type JsonObject, type JsonValue } from '../json-strict.js';
import { bool, list, mustBeFalse, num, str, strList, strOrList, struct, type PolicyContext } from './schema.js';

const execCreate = struct({
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  ConsoleSize: list(num),
  Detach: bool,
  DetachKeys: str,
  Tty: bool,
  Env: strList,
  Cmd: strOrList,
  Privileged: mustBeFalse('privileged'),
  User: str,
  WorkingDir: str,
});

const EXEC_START_FIELDS = ['Detach', 'Tty', 'ConsoleSize'];
const execStart = struct({ Detach: bool, Tty: bool, ConsoleSize: list(num) });

const object = (body: JsonValue, what: string): JsonValue => {
  if (body !== null && !isObject(body)) throw new PolicyError('json-type', `${what} body must be a JSON object`);
  return body ?? {};
};

/** POST /containers/{id}/exec: never privileged; the container itself is checked for ownership separately. */
export const checkExecCreate = (body: JsonValue, ctx: PolicyContext): JsonObject =>
  execCreate(object(body, 'exec create'), '', ctx) as JsonObject;

/**
 * POST /exec/{id}/start without the upgrade handshake. Its fields cannot widen privileges, so
 * client-side extras (dockerode sends {"hijack":..,"stdin":..}) are dropped rather than refused.
 */
export function checkExecStart(body: JsonValue, ctx: PolicyContext): JsonObject {
  const known = Object.create(null) as JsonObject;
  for (const [key, value] of Object.entries(object(body, 'exec start') as JsonObject)) {
    if (EXEC_START_FIELDS.some((f) => f.toUpperCase() === key.toUpperCase())) known[key] = value;
  }
  return execStart(known, '', ctx) as JsonObject;
}
