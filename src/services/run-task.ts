import { randomBytes } from 'node:crypto';
import type { Limits } from '../docker/container-spec.js';
import type { DockerEngine } from '../docker/engine.js';
import { ownershipLabels, type DeploymentIdentity } from '../docker/labels.js';
import type { DeployLog } from '../worker/deploy-log.js';
import { environmentId } from './environment-objects.js';
import { taskContainerSpec } from './service-spec.js';

/** A release or seed command failed: the deploy fails and the running version keeps serving. */
export class TaskError extends Error {
  override readonly name = 'TaskError';
  constructor(readonly kind: 'release' | 'seed', message: string) {
    super(message);
  }
}

/** A release or seed run (on one host here; on Swarm: src/swarm/swarm-task.ts). */
export interface TaskInput {
  kind: 'release' | 'seed';
  command: string;
  image: string;
  identity: DeploymentIdentity;
  env: Record<string, string>;
  network: string;
  volumes: Record<string, string>;
  limits: Limits;
  engine: DockerEngine;
  log: DeployLog;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * Runs `command` once in a one-off container of the new image (the app's env and volumes, the
 * environment network), its output into the deploy log, and removes the container. Fails with
 * the exit code, or when it runs past `timeoutMs` (then it is stopped).
 */
export async function runTask(input: TaskInput): Promise<void> {
  const { engine, log, kind } = input;
  const name = `helvetia-${environmentId(input.identity)}-${kind}-${randomBytes(3).toString('hex')}`;
  const id = await engine.createContainer(
    taskContainerSpec({ name, image: input.image, command: input.command, env: input.env, volumes: input.volumes, network: input.network, labels: ownershipLabels(input.identity, 'task'), limits: input.limits }),
  );
  const stop = () => void engine.stopContainer(id, 0).catch(() => undefined);
  input.signal.addEventListener('abort', stop, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), stop()), input.timeoutMs);
  try {
    log.step(`running the ${kind} command: ${input.command}`);
    await engine.startContainer(id);
    const code = await engine.waitContainer(id);
    const output = await engine.containerLogs(id, 500).catch(() => '');
    for (const line of output.split('\n').filter(Boolean)) log.run(`[${kind}] ${line}`);
    input.signal.throwIfAborted();
    if (timedOut) throw new TaskError(kind, `the ${kind} command did not finish within ${input.timeoutMs / 1000}s`);
    if (code !== 0) throw new TaskError(kind, `the ${kind} command \`${input.command}\` exited with code ${code}`);
    log.step(`${kind} command succeeded`);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', stop);
    await engine.removeContainer(id);
  }
}
