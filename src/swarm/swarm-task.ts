import { randomBytes } from 'node:crypto';
import { ownershipLabels } from '../docker/labels.js';
import { environmentId } from '../services/environment-objects.js';
import { TaskError, type TaskInput } from '../services/run-task.js';
import { jobServiceSpec } from './service-spec.js';
import type { SwarmDeps } from './swarm-environment.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates a job service from `spec`, waits until its task completed or failed (or `deadline`),
 * reads its output, and removes it. Swarm leaves a removed job's stopped container on its node
 * (holding the volumes it mounted): that node's worker removes it (a node chore).
 */
export async function runJobToEnd(
  deps: Pick<SwarmDeps, 'swarm' | 'chores'>,
  spec: { Name: string },
  opts: { instance: string; deadline: number; timeoutMs: number; signal: AbortSignal },
): Promise<{ ok: boolean; error?: string; output: string }> {
  const { swarm } = deps;
  const id = await swarm.createService(spec);
  const nodes = new Set<string>();
  try {
    let outcome: { ok: boolean; error?: string } | undefined;
    while (!outcome) {
      opts.signal.throwIfAborted();
      const tasks = await swarm.listTasks(id);
      for (const task of tasks) if (task.nodeId) nodes.add(task.nodeId);
      const failed = tasks.find((t) => ['failed', 'rejected'].includes(t.state));
      if (tasks.some((t) => t.state === 'complete')) outcome = { ok: true };
      else if (failed) outcome = { ok: false, error: failed.error ?? failed.message ?? failed.state };
      else if (Date.now() > opts.deadline) outcome = { ok: false, error: `did not finish within ${opts.timeoutMs / 1000}s` };
      else await sleep(250);
    }
    // Service logs prefix each line with the task's name.
    const output = (await swarm.serviceLogs(id, 500).catch(() => '')).replace(/^\S+\s+\|\s?/gm, '');
    return { ...outcome, output };
  } finally {
    await swarm.removeService(id);
    for (const node of nodes) await deps.chores.add(node, { kind: 'job', instance: opts.instance, service: spec.Name });
  }
}

/**
 * runTask on Docker Swarm: the release or seed command as a replicated job of one task in the new
 * image (pushed, by digest), with the app's env and volumes, on the environment overlay, on the
 * node the volumes are pinned to (else this worker's). Its output goes into the deploy log; the job service is removed after.
 */
export async function runSwarmTask(input: TaskInput & { deps: SwarmDeps; imageByDigest: string; constraints: string[] }): Promise<void> {
  const { log, kind } = input;
  const name = `helvetia-${environmentId(input.identity)}-${kind}-${randomBytes(3).toString('hex')}`;
  const labels = ownershipLabels(input.identity, 'task');
  const spec = jobServiceSpec({ name, image: input.imageByDigest, command: input.command, labels, containerLabels: labels, env: input.env, volumes: input.volumes, network: input.network, limits: input.limits, constraints: input.constraints });
  log.step(`running the ${kind} command: ${input.command}`);
  const result = await runJobToEnd(input.deps, spec, { instance: input.identity.instance, deadline: Date.now() + input.timeoutMs, timeoutMs: input.timeoutMs, signal: input.signal });
  for (const line of result.output.split('\n').filter(Boolean)) log.run(`[${kind}] ${line}`);
  if (!result.ok) throw new TaskError(kind, `the ${kind} command \`${input.command}\` failed: ${result.error}`);
  log.step(`${kind} command succeeded`);
}
