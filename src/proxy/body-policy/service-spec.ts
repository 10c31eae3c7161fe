import { PolicyError } from '../errors.js';
import { isObject, type JsonObject, type JsonValue } from '../json-strict.js';
import { checkPublishedPort } from './host-config.js';
import { list, num, oneOf, str, strMap, struct, type PolicyContext } from './schema.js';
import type { ServicePolicy } from './swarm-container-spec.js';
import { networkAttachment, taskTemplate } from './task-template.js';

const updateConfig = struct({
  Parallelism: num, Delay: num, FailureAction: oneOf('update-config', ['', 'continue', 'pause', 'rollback']), Monitor: num,
  MaxFailureRatio: num, Order: oneOf('update-config', ['', 'stop-first', 'start-first']),
});

const mode = struct({
  Replicated: struct({ Replicas: num }),
  Global: struct({}),
  ReplicatedJob: struct({ MaxConcurrent: num, TotalCompletions: num }),
  GlobalJob: struct({}),
});

/** Published ports follow the container rule (1024 and above); ingress or host mode. */
const endpointSpec = struct({
  Mode: oneOf('endpoint-mode', ['', 'vip', 'dnsrr']),
  Ports: list(
    struct({
      Name: str,
      Protocol: oneOf('port-protocol', ['', 'tcp', 'udp', 'sctp']),
      TargetPort: num,
      PublishedPort: (v, at, ctx) => {
        const p = num(v, at, ctx);
        checkPublishedPort(typeof p === 'number' && p !== 0 ? p : null, at, String(p));
        return p;
      },
      PublishMode: oneOf('publish-mode', ['', 'ingress', 'host']),
    }),
  ),
});

/**
 * The body of POST /services/create and /services/{id}/update: swarm.ServiceSpec as of Engine API
 * 1.41, every field known (unknown ones refused, so a newer API's field is never waved through
 * unchecked). The task template gets the container policy's rules (see task-template.ts and
 * swarm-container-spec.ts); the service and its containers get this proxy's ownership labels.
 */
export function checkServiceSpec(body: JsonValue, ctx: PolicyContext, policy: ServicePolicy): JsonObject {
  if (!isObject(body)) throw new PolicyError('json-type', 'service spec body must be a JSON object');
  const out = struct({
    Name: str, Labels: strMap, TaskTemplate: taskTemplate(policy), Mode: mode, UpdateConfig: updateConfig, RollbackConfig: updateConfig,
    // Deprecated top-level attachments: checked like TaskTemplate.Networks, since dockerd still honours them.
    Networks: list(networkAttachment), EndpointSpec: endpointSpec,
  })(body, '', ctx) as JsonObject;
  if (out.TaskTemplate === undefined) taskTemplate(policy)(null, 'TaskTemplate', ctx);
  out.Labels = ctx.owner.withLabels(out.Labels, 'object');
  return out;
}
