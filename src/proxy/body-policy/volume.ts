import { NAMESPACED_VOLUME } from '../../docker/volume-namespace.js';
import { PolicyError } from '../errors.js';
import { isObject, type JsonObject, type JsonValue } from '../json-strict.js';
import { mustBeEmpty, oneOf, str, strMap, struct, type PolicyContext } from './schema.js';

/**
 * Local-driver options mount whatever they name (type=none,o=bind,device=/ is a host bind, nfs/cifs
 * reach the network from the host, even a tmpfs takes mount options): none are allowed.
 */
const volumeCreate = struct({ Name: str, Driver: oneOf('volume-driver', ['', 'local']), DriverOpts: mustBeEmpty('volume-driver-opts'), Labels: strMap });

/** POST /volumes/create: local driver, no driver options, our labels, never a name in another owner's namespace. */
export function checkVolumeCreate(body: JsonValue, ctx: PolicyContext): JsonObject {
  if (body !== null && !isObject(body)) throw new PolicyError('json-type', 'volume create body must be a JSON object');
  const out = volumeCreate(body ?? {}, '', ctx) as JsonObject;
  const name = typeof out.Name === 'string' ? out.Name : '';
  if (NAMESPACED_VOLUME.test(name) && !name.startsWith(`${ctx.owner.volumeNamespace}-`)) {
    throw new PolicyError('volume-name', `volume ${name} is in another owner's namespace (${name.slice(0, 18)}); services elsewhere mount such names unchecked`);
  }
  out.Labels = ctx.owner.withLabels(out.Labels, 'object');
  return out;
}
