import { PolicyError } from '../errors.js';
import { isObject, type JsonObject, type JsonValue } from '../json-strict.js';
import { withOwnerLabel } from '../labels.js';
import { oneOf, str, strMap, struct, type Check, type PolicyContext } from './schema.js';

const TMPFS_O = /^(size=\d+[kmgKMG]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|nr_inodes=\d+[kmgKMG]?)(,(size=\d+[kmgKMG]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|nr_inodes=\d+[kmgKMG]?))*$/;

/**
 * Local-driver options mount whatever they name (type=none,o=bind,device=/ is a host bind, nfs/cifs
 * reach the network from the host). Only a plain tmpfs is allowed.
 */
export const driverOpts: Check = (v, at, ctx) => {
  const opts = strMap(v, at, ctx);
  if (opts === null || Object.keys(opts as JsonObject).length === 0) return opts;
  const o = opts as Record<string, string>;
  const keys = Object.keys(o).sort().join(',');
  const ok = (keys === 'device,type' || keys === 'device,o,type') && o.type === 'tmpfs' && o.device === 'tmpfs' && (o.o === undefined || TMPFS_O.test(o.o));
  if (!ok) throw new PolicyError('volume-driver-opts', `${at} ${JSON.stringify(o)} is refused; only type=tmpfs,device=tmpfs with size/mode/uid/gid options`);
  return opts;
};

const volumeCreate = struct({ Name: str, Driver: oneOf('volume-driver', ['', 'local']), DriverOpts: driverOpts, Labels: strMap });

/** POST /volumes/create: local driver, no bind/nfs options, our label. */
export function checkVolumeCreate(body: JsonValue, ctx: PolicyContext): JsonObject {
  if (body !== null && !isObject(body)) throw new PolicyError('json-type', 'volume create body must be a JSON object');
  const out = volumeCreate(body ?? {}, '', ctx) as JsonObject;
  out.Labels = withOwnerLabel(out.Labels);
  return out;
}
