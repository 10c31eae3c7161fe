import type { DockerEngine } from '../docker/engine.js';
import { LABEL } from '../docker/labels.js';
import { deadReason, waitDockerHealthy } from '../docker/readiness.js';
import type { ServiceConfig } from './service-schema.js';
import { tcpProbeSpec } from './service-spec.js';
import { ServiceError } from './service-env.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function assertRunning(engine: DockerEngine, id: string, name: string): Promise<void> {
  const { reason, state } = await deadReason(engine, id);
  if (!reason) return;
  const tail = state ? (await engine.containerLogs(id, 20).catch(() => '')).trim().split('\n').slice(-5).join(' | ') : '';
  throw new ServiceError(`service ${name}: ${reason}${tail ? `: ${tail}` : ''}`);
}

/**
 * Waits until a service is ready: its healthcheck command reports healthy (Docker HEALTHCHECK),
 * or its port accepts TCP connections, probed from a container on the environment network.
 */
export async function waitServiceReady(
  engine: DockerEngine,
  input: { containerId: string; containerName: string; name: string; service: ServiceConfig; network: string; probeImage: string; timeoutMs: number; labels: Record<string, string>; signal: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + input.timeoutMs;
  if (input.service.healthcheck) {
    await waitDockerHealthy(engine, input.containerId, {
      deadline, signal: input.signal,
      fail: (reason, atDeadline) => new ServiceError(atDeadline ? `service ${input.name} was not healthy after ${input.timeoutMs / 1000}s: ${reason}` : `service ${input.name}: ${reason}`),
    });
    return;
  }
  const probeId = await engine.createContainer(
    tcpProbeSpec({
      name: `${input.containerName}-probe`, image: input.probeImage, target: input.containerName, port: input.service.port!,
      attempts: Math.max(1, Math.ceil(input.timeoutMs / 600)), network: input.network, labels: { ...input.labels, [LABEL.role]: 'probe' },
    }),
  );
  try {
    await engine.startContainer(probeId);
    let exit: number | undefined;
    const waiting = engine.waitContainer(probeId).then((code) => (exit = code));
    while (exit === undefined) {
      input.signal.throwIfAborted();
      await assertRunning(engine, input.containerId, input.name);
      await Promise.race([waiting, sleep(300)]);
    }
    if (exit !== 0) throw new ServiceError(`service ${input.name} did not accept connections on port ${input.service.port} within ${input.timeoutMs / 1000}s`);
  } finally {
    await engine.removeContainer(probeId);
  }
}
