import { atLeast, formatApiVersion, type ApiVersion } from '../api-version.js';
import { PolicyError } from '../errors.js';
import { isObject, type JsonObject } from '../json-strict.js';
import { capAdd, capDropAll } from './capabilities.js';
import { healthcheck } from './container-create.js';
import { sysctls, ulimits } from './host-config.js';
import { checkServiceImage, type ImageRule } from './image.js';
import { mountSpec } from './mounts.js';
import {
  bool, list, mustBeEmpty, mustBeTrue, num, oneOf, str, strList, strMap, strOrList, struct, type Check,
} from './schema.js';

/** What the service policy needs besides the container policy's context. */
export interface ServicePolicy {
  images: ImageRule;
  /** The schema dockerd decodes this request with (its version prefix, else the daemon's). */
  apiVersion: ApiVersion;
}

/**
 * A service's mounts: tmpfs, or a named volume in this owner's namespace (src/docker/volume-namespace.ts).
 * The shared mount rules run first (a host path is `host-bind`, as for containers, and there is no
 * workspace on a cluster node; volume driver options are refused). A volume cannot be checked on
 * the daemon like a container's: it lives on whichever node runs the task, which this manager
 * cannot see. Its name must therefore be in the namespace no other owner's proxy creates in, and
 * the labels it gets if Swarm creates it there are forced to this owner's.
 */
const serviceMount: Check = (v, at, ctx) => {
  const m = mountSpec(v, at, { ...ctx, workspaceDir: null });
  if (!isObject(m) || m.Type === 'tmpfs') return m;
  if (m.Type !== 'volume') throw new PolicyError('service-mount', `${at} is a ${String(m.Type)} mount; services may only mount tmpfs and volumes`);
  const source = String(m.Source);
  // Owned by name, not by an inspect on this daemon (the volume is on another node, or not yet made).
  ctx.refs.volumes.delete(source);
  if (!source.startsWith(`${ctx.owner.volumeNamespace}-`)) {
    throw new PolicyError('service-mount', `${at} mounts volume ${source}: a service may only mount volumes named ${ctx.owner.volumeNamespace}-… (this owner's namespace; the volume is on another node, where the proxy cannot check who owns it)`);
  }
  const options = isObject(m.VolumeOptions) ? m.VolumeOptions : (Object.create(null) as JsonObject);
  m.VolumeOptions = { ...options, Labels: ctx.owner.withLabels(options.Labels, 'object') };
  return m;
};

/** A field dockerd at this API version does not know: it would drop it silently, so it is refused. */
const newerThan =
  (field: string, since: string, v: ApiVersion): Check =>
  (value, at) => {
    if (value === null) return value;
    throw new PolicyError('api-version', `${at} needs Engine API ${since}; this request is decoded as ${formatApiVersion(v)}, which would silently drop ${field}`);
  };

/**
 * Privileges. CredentialSpec (Windows) and SELinuxContext (Disable would turn labelling off) are
 * refused. NoNewPrivileges, Seccomp and AppArmor exist from API 1.44: there NoNewPrivileges must be
 * true and the profiles stay the daemon's default; below 1.44 dockerd would drop them without a
 * word, so they are refused rather than trusted (no-new-privileges cannot be set on a 1.41 service).
 */
function privileges(v: ApiVersion): Check {
  const modern = atLeast(v, 1, 44);
  return struct({
    CredentialSpec: mustBeEmpty('credential-spec'),
    SELinuxContext: mustBeEmpty('selinux'),
    NoNewPrivileges: modern ? mustBeTrue('no-new-privileges') : newerThan('NoNewPrivileges', '1.44', v),
    Seccomp: modern ? struct({ Mode: oneOf('seccomp', ['', 'default']), Profile: mustBeEmpty('seccomp') }) : newerThan('Seccomp', '1.44', v),
    AppArmor: modern ? struct({ Mode: oneOf('apparmor', ['', 'default']) }) : newerThan('AppArmor', '1.44', v),
  });
}

/** swarm.ContainerSpec as of API 1.41 (CapabilityAdd/Drop and Ulimits are new in 1.41). */
export function containerSpec(policy: ServicePolicy): Check {
  const fields = struct({
    Image: str, Labels: strMap, Command: strOrList, Args: strList, Hostname: str, Env: strList, Dir: str, User: str, Groups: strList,
    Privileges: privileges(policy.apiVersion), Init: bool, StopSignal: str, TTY: bool, OpenStdin: bool, ReadOnly: bool,
    Mounts: list(serviceMount), StopGracePeriod: num, Healthcheck: healthcheck, Hosts: strList,
    DNSConfig: struct({ Nameservers: strList, Search: strList, Options: strList }),
    Secrets: mustBeEmpty('secrets'), Configs: mustBeEmpty('configs'), Isolation: oneOf('isolation', ['', 'default']),
    Sysctls: sysctls, CapabilityAdd: capAdd, CapabilityDrop: capDropAll, Ulimits: ulimits,
  });
  return (value, at, ctx) => {
    if (!isObject(value)) throw new PolicyError('service-spec', `${at} is required (services run containers only, no plugins)`);
    const out = fields(value, at, ctx) as JsonObject;
    if (typeof out.Image !== 'string' || out.Image === '') throw new PolicyError('image-name', `${at}.Image is required`);
    checkServiceImage(out.Image, policy.images);
    // Absent means "keep the daemon's default set": the rule is CapDrop ALL, so absence is refused too.
    if (out.CapabilityDrop === undefined) capDropAll(null, `${at}.CapabilityDrop`, ctx);
    if (atLeast(policy.apiVersion, 1, 44) && !(isObject(out.Privileges) && out.Privileges.NoNewPrivileges === true)) {
      throw new PolicyError('no-new-privileges', `${at}.Privileges.NoNewPrivileges must be true (Engine API ${formatApiVersion(policy.apiVersion)} supports it)`);
    }
    // The task containers' own labels: they are owned containers, like those the proxy creates.
    out.Labels = ctx.owner.withLabels(out.Labels, 'object');
    return out;
  };
}
