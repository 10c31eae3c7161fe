import { isObject, type JsonObject, type JsonValue } from '../json-strict.js';
import { PolicyError } from '../errors.js';
import { RESOURCE_FIELDS } from './host-config.js';
import { num, oneOf, str, struct, type PolicyContext } from './schema.js';

const object = (body: JsonValue, what: string): JsonValue => {
  if (body !== null && !isObject(body)) throw new PolicyError('json-type', `${what} body must be a JSON object`);
  return body ?? {};
};

const update = struct({
  ...RESOURCE_FIELDS,
  RestartPolicy: struct({ Name: oneOf('restart-policy', ['', 'no', 'always', 'unless-stopped', 'on-failure']), MaximumRetryCount: num }),
});

/** POST /containers/{id}/update: resource limits and restart policy, with the same refusals as create. */
export const checkContainerUpdate = (body: JsonValue, ctx: PolicyContext): JsonObject => update(object(body, 'update'), '', ctx) as JsonObject;

const auth = struct({ username: str, password: str, auth: str, email: str, serveraddress: str, identitytoken: str, registrytoken: str });

/** POST /auth: registry credentials, strictly parsed. */
export const checkAuth = (body: JsonValue, ctx: PolicyContext): JsonObject => auth(object(body, 'auth'), '', ctx) as JsonObject;
