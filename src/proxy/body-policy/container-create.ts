import { isIPv4 } from 'node:net';
import { PolicyError } from '../errors.js';
import { isObject, type JsonObject, type JsonValue } from '../json-strict.js';
import { hostConfig, networkMode, nullOnly } from './host-config.js';
import { containerRef } from './mounts.js';
import {
  bool, emptyObjectMap, list, map, mustBeEmpty, num, str, strList, strMap, strOrList, struct, type Check, type PolicyContext,
} from './schema.js';

/** container.HealthConfig (containers and services). */
export const healthcheck = struct({ Test: strOrList, Interval: num, Timeout: num, StartPeriod: num, Retries: num });

/** container.Config: what the image runs. Shared by create and commit. */
export const CONFIG_FIELDS: Record<string, Check> = {
  Hostname: str, Domainname: str, User: str, AttachStdin: bool, AttachStdout: bool, AttachStderr: bool,
  ExposedPorts: emptyObjectMap, Tty: bool, OpenStdin: bool, StdinOnce: bool, Env: strList, Cmd: strOrList,
  Healthcheck: healthcheck, ArgsEscaped: bool, Image: str, Volumes: emptyObjectMap, WorkingDir: str,
  Entrypoint: strOrList, NetworkDisabled: bool, MacAddress: mustBeEmpty('mac-address'), OnBuild: strList,
  Labels: strMap, StopSignal: str, StopTimeout: num, Shell: strList,
};

const ENDPOINT_FIELDS = {
  Links: list(containerRef('Links')),
  Aliases: strList,
  NetworkID: mustBeEmpty('endpoint-settings'),
  EndpointID: mustBeEmpty('endpoint-settings'),
  Gateway: mustBeEmpty('endpoint-settings'),
  IPAddress: mustBeEmpty('endpoint-settings'),
  IPPrefixLen: mustBeEmpty('endpoint-settings'),
  IPv6Gateway: mustBeEmpty('endpoint-settings'),
  GlobalIPv6Address: mustBeEmpty('endpoint-settings'),
  GlobalIPv6PrefixLen: mustBeEmpty('endpoint-settings'),
  MacAddress: mustBeEmpty('mac-address'),
  DriverOpts: mustBeEmpty('endpoint-settings'),
  GwPriority: num,
  DNSNames: mustBeEmpty('endpoint-settings'),
};

/** One network's endpoint settings at container create: aliases and links only, no fixed addresses or driver options. */
export const endpointSettings = struct({ ...ENDPOINT_FIELDS, IPAMConfig: nullOnly('endpoint-ipam') });

/** Dotted-quad IPv4 as node's own isIPv4 reads it (no leading zeros, no prefix length, no spaces). */
const ipv4: Check = (v, at, ctx) => {
  const s = str(v, at, ctx);
  if (s === null || s === '' || isIPv4(s as string)) return s;
  throw new PolicyError('endpoint-ipam', `${at} must be an IPv4 address; got ${JSON.stringify(s)}`);
};

/**
 * Endpoint settings at network connect also take a fixed IPv4 address, on a network that is owned
 * or allowlisted (checked by the route): the worker rejoins a replaced container at the address its
 * open connections use. No IPv6 or link-local addresses, and never a MAC address.
 */
export const connectEndpointSettings = struct({
  ...ENDPOINT_FIELDS,
  IPAMConfig: struct({ IPv4Address: ipv4, IPv6Address: mustBeEmpty('endpoint-ipam'), LinkLocalIPs: mustBeEmpty('endpoint-ipam') }),
});

const endpointsConfig = map(endpointSettings);

const networkingConfig = struct({
  EndpointsConfig: (v, at, ctx) => {
    const out = endpointsConfig(v, at, ctx);
    if (isObject(out)) for (const name of Object.keys(out)) networkMode(name, `${at}[${JSON.stringify(name)}]`, ctx);
    return out;
  },
});

/**
 * The body of POST /containers/create. Top-level keys are container.Config fields plus HostConfig
 * and NetworkingConfig only: dockerd also reads HostConfig fields at the top level when the
 * HostConfig key is absent (legacy), so `{"Privileged":true}` is refused as an unknown field.
 */
const createBody = struct({ ...CONFIG_FIELDS, HostConfig: hostConfig, NetworkingConfig: networkingConfig });

/**
 * Keys dockerode copies from its options into the body (they are query parameters or client-side
 * options; dockerd has no such fields and ignores them). Matched exactly and dropped.
 */
const CLIENT_KEYS = ['name', 'platform', 'abortSignal', 'authconfig'];

export function checkContainerCreate(body: JsonValue, ctx: PolicyContext): JsonObject {
  if (body !== null && !isObject(body)) throw new PolicyError('json-type', 'container create body must be a JSON object');
  const fields = Object.assign(Object.create(null), body) as JsonObject;
  for (const key of CLIENT_KEYS) delete fields[key];
  const out = createBody(fields, '', ctx) as JsonObject;
  if (isObject(out.Volumes) && Object.keys(out.Volumes).length > 0) {
    throw new PolicyError('anonymous-volume', `Volumes ${Object.keys(out.Volumes).join(', ')} would create anonymous volumes; mount an owned named volume instead`);
  }
  // The container's own labels override its image's: an image's (forged or ours) owner label never counts for it.
  out.Labels = ctx.owner.withLabels(out.Labels, 'object');
  return out;
}

/** container.Config for POST /commit (no HostConfig there). */
export function checkCommitConfig(body: JsonValue, ctx: PolicyContext): JsonObject {
  const out = (struct(CONFIG_FIELDS)(body ?? {}, '', ctx) ?? Object.create(null)) as JsonObject;
  // An image gets the image token: the committed container's own (object) token must not carry over.
  out.Labels = ctx.owner.withLabels(out.Labels, 'image');
  return out;
}
