import { BUILD_STEP_RULE, checkBuildStepUpdate } from '../body-policy/build-step-update.js';
import { checkContainerUpdate } from '../body-policy/misc.js';
import { PolicyError } from '../errors.js';
import { ownerLabelHint } from '../labels.js';
import type { ContainerFacts } from '../ownership.js';
import type { BuildStep } from '../build-steps.js';
import { param, planOf, policyContext, withSegment } from './common.js';
import type { Authorize } from './types.js';

/** Logged as the rule of an update allowed on a build step rather than on an owned container. */
export const BUILD_STEP_UPDATE_RULE = 'containers.update-build-step';

/**
 * Why `info` cannot be the step `step` announced; null when it can. The creation times compare
 * without slack: dockerd is on the proxy's unix socket, so both read the same host clock, and a
 * step is created only after its build request was authorized.
 */
function mismatch(info: ContainerFacts, step: BuildStep): string | null {
  if (!(info.created >= step.since)) return 'it was created before that build started';
  if (step.expect.memory !== info.memory) return `its memory limit ${info.memory} is not the build's ${step.expect.memory}`;
  return null;
}

/**
 * POST /containers/{id}/update. An owned container: the update policy of create (limits, restart
 * policy). A container without the ownership label: only if it is a step container a /build
 * forwarded by this proxy announced ("Running in <id>"), created after that build started and
 * under that build's memory limit, and only to tighten its pids limit ({"PidsLimit": n}, never
 * above its current limit). Anything else is `not-owned` or `build-step-update`.
 */
export const containerUpdate: Authorize = async (input) => {
  const name = param(input, 0);
  const info = await input.ownership.containerInfo(name);
  if (info.owned) {
    const value = checkContainerUpdate(await input.readJson(), policyContext(input));
    return withSegment(planOf(input, { kind: 'json', value }), 1, info.id);
  }
  const step = input.buildSteps.find(info.id);
  if (!step) {
    throw new PolicyError(
      'not-owned',
      `container ${name} is not managed by helvetia (${ownerLabelHint('object')}) and is not a step of a build this proxy is relaying`,
    );
  }
  const wrong = mismatch(info, step);
  if (wrong) throw new PolicyError(BUILD_STEP_RULE, `container ${name} was announced as a build step, but ${wrong}`);
  const value = checkBuildStepUpdate(await input.readJson(), info.pidsLimit);
  return { ...withSegment(planOf(input, { kind: 'json', value }), 1, info.id), rule: BUILD_STEP_UPDATE_RULE };
};
