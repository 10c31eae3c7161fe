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

const execStart = struct({ Detach: bool, Tty: bool, ConsoleSize: list(num) });

const object = (body: JsonValue, what: string): JsonValue => {
  if (body !== null && !isObject(body)) throw new PolicyError('json-type', `${what} body must be a JSON object`);
  return body ?? {};
};

/** POST /containers/{id}/exec: never privileged; the container itself is checked for ownership separately. */
export const checkExecCreate = (body: JsonValue, ctx: PolicyContext): JsonObject =>
  execCreate(object(body, 'exec create'), '', ctx) as JsonObject;

/** POST /exec/{id}/start without the upgrade handshake. */
export const checkExecStart = (body: JsonValue, ctx: PolicyContext): JsonObject =>
  execStart(object(body, 'exec start'), '', ctx) as JsonObject;
