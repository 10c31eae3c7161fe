import { PolicyError } from '../errors.js';
import { isObject, type JsonObject, type JsonValue } from '../json-strict.js';
import { connectEndpointSettings } from './container-create.js';
import { bool, map, mustBeEmpty, mustBeFalse, oneOf, str, strMap, struct, type PolicyContext } from './schema.js';

const NETWORK_OPTIONS = [
  'com.docker.network.bridge.enable_icc',
  'com.docker.network.bridge.enable_ip_masquerade',
  'com.docker.network.driver.mtu',
];

/**
 * Bridge networks always; with PROXY_PROFILE=swarm also overlays (scope swarm), the networks a
 * service's tasks share across nodes. Never ingress, host, macvlan, ipvlan, config-only/-from, or
 * driver options beyond the allowlist (vxlan IDs, encryption keys and the like stay the daemon's).
 */
const networkCreate = (swarm: boolean) => struct({
  Name: str,
  CheckDuplicate: bool,
  Driver: oneOf('network-driver', swarm ? ['', 'bridge', 'overlay'] : ['', 'bridge']),
  Scope: oneOf('network-scope', swarm ? ['', 'local', 'swarm'] : ['', 'local']),
  EnableIPv6: bool,
  IPAM: struct({ Driver: oneOf('network-ipam', ['', 'default']), Config: mustBeEmpty('network-ipam'), Options: mustBeEmpty('network-ipam') }),
  Internal: bool,
  Attachable: bool,
  Ingress: mustBeFalse('network-ingress'),
  ConfigOnly: mustBeFalse('network-config'),
  ConfigFrom: mustBeEmpty('network-config'),
  Options: map(str, (key, at) => {
    if (!NETWORK_OPTIONS.includes(key)) throw new PolicyError('network-options', `${at} option ${key} is not allowed`);
  }),
  Labels: strMap,
});

const asObject = (body: JsonValue, what: string): JsonObject => {
  if (!isObject(body)) throw new PolicyError('json-type', `${what} body must be a JSON object`);
  return body;
};

/** POST /networks/create: bridge (or, in the swarm profile, overlay), default IPAM, our label, never a duplicate name. */
export function checkNetworkCreate(body: JsonValue, ctx: PolicyContext, swarm = false): JsonObject {
  const out = networkCreate(swarm)(asObject(body, 'network create'), '', ctx) as JsonObject;
  if (typeof out.Name !== 'string' || out.Name === '') throw new PolicyError('network-name', 'Name is required');
  const overlay = out.Driver === 'overlay';
  if (overlay !== (out.Scope === 'swarm') && out.Scope !== undefined && out.Scope !== null && out.Scope !== '') {
    throw new PolicyError('network-scope', `Scope ${String(out.Scope)} does not fit driver ${String(out.Driver || 'bridge')}`);
  }
  out.CheckDuplicate = true;
  out.Labels = ctx.owner.withLabels(out.Labels, 'object');
  return out;
}

function containerField(out: JsonObject, ctx: PolicyContext): string {
  if (typeof out.Container !== 'string' || out.Container === '') throw new PolicyError('network-connect', 'Container is required');
  ctx.refs.containers.add(out.Container);
  return out.Container;
}

/** POST /networks/{id}/connect: an owned container, onto a network that is owned or allowlisted (a fixed IPv4 address allowed). */
export function checkNetworkConnect(body: JsonValue, network: string, ctx: PolicyContext): JsonObject {
  const out = struct({ Container: str, EndpointConfig: connectEndpointSettings })(asObject(body, 'network connect'), '', ctx) as JsonObject;
  containerField(out, ctx);
  ctx.refs.networks.add(network);
  return out;
}

/** POST /networks/{id}/disconnect: only an owned container (from any network). */
export function checkNetworkDisconnect(body: JsonValue, ctx: PolicyContext): JsonObject {
  const out = struct({ Container: str, Force: bool })(asObject(body, 'network disconnect'), '', ctx) as JsonObject;
  containerField(out, ctx);
  return out;
}
