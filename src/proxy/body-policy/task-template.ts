import { PolicyError } from '../errors.js';
import { isObject, type JsonObject } from '../json-strict.js';
import { logDriverName, logDriverOptions } from './host-config.js';
import { containerSpec, type ServicePolicy } from './swarm-container-spec.js';
import { list, mustBeEmpty, num, oneOf, str, strList, struct, type Check } from './schema.js';

/** A limit that must be set and positive: every task is capped in memory, CPU and processes. */
const required =
  (field: string): Check =>
  (v, at, ctx) => {
    const n = num(v, at, ctx);
    if (typeof n !== 'number' || !(n > 0)) throw new PolicyError('resource-limits', `${at} is required and must be above 0 (${field})`);
    return n;
  };

const LIMITS = { NanoCPUs: required('CPU limit'), MemoryBytes: required('memory limit'), Pids: required('pids limit, Engine API 1.41+') };
const limits = struct(LIMITS);

/** Resources.Limits (all three) are required; reservations may not ask for devices (GenericResources). */
const resources: Check = (v, at, ctx) => {
  const out = struct({ Limits: limits, Reservations: struct({ NanoCPUs: num, MemoryBytes: num, GenericResources: mustBeEmpty('devices') }) })(v, at, ctx);
  const got = isObject(out) && isObject(out.Limits) ? out.Limits : Object.create(null) as JsonObject;
  // struct checks only what is present: an absent limit is refused here by the same check.
  for (const [field, check] of Object.entries(LIMITS)) if (got[field] === undefined) check(null, `${at}.Limits.${field}`, ctx);
  return out;
};

/**
 * One network attachment: the target must be an owned overlay or on PROXY_ALLOWED_NETWORKS (the
 * edge network), checked on the daemon through ctx.refs.overlays; no driver options.
 */
export const networkAttachment = struct({
  Target: (v, at, ctx) => {
    const target = str(v, at, ctx);
    if (typeof target !== 'string' || target === '') throw new PolicyError('network-name', `${at} must name a network`);
    ctx.refs.overlays.add(target);
    return target;
  },
  Aliases: strList,
  DriverOpts: mustBeEmpty('network-options'),
});

const placement = struct({
  Constraints: strList,
  Preferences: list(struct({ Spread: struct({ SpreadDescriptor: str }) })),
  MaxReplicas: num,
  Platforms: list(struct({ Architecture: str, OS: str })),
});

/** swarm.TaskSpec as of API 1.41: a container task only (no plugin, no raw network attachment). */
export function taskTemplate(policy: ServicePolicy): Check {
  const fields = struct({
    ContainerSpec: containerSpec(policy),
    PluginSpec: mustBeEmpty('service-plugin'),
    NetworkAttachmentSpec: mustBeEmpty('service-plugin'),
    Resources: resources,
    RestartPolicy: struct({ Condition: oneOf('restart-policy', ['', 'none', 'on-failure', 'any']), Delay: num, MaxAttempts: num, Window: num }),
    Placement: placement,
    Networks: list(networkAttachment),
    LogDriver: struct({ Name: logDriverName, Options: logDriverOptions }),
    ForceUpdate: num,
    Runtime: oneOf('runtime', ['', 'container']),
  });
  return (v, at, ctx) => {
    if (!isObject(v)) throw new PolicyError('service-spec', `${at} is required`);
    const out = fields(v, at, ctx) as JsonObject;
    // Absent parts are refused by their own checks, so "no limits" and "no container" read like wrong ones.
    if (out.ContainerSpec === undefined) containerSpec(policy)(null, `${at}.ContainerSpec`, ctx);
    if (out.Resources === undefined || out.Resources === null) resources({}, `${at}.Resources`, ctx);
    return out;
  };
}
