import type { DockerEngine } from '../docker/engine.js';
import { LABEL } from '../docker/labels.js';
import type { ServiceConfig } from './service-schema.js';
import { tcpProbeSpec } from './service-spec.js';
import { ServiceError } from './service-env.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function assertRunning(engine: DockerEngine, id: string, name: string): Promise<void> {
  const state = await engine.inspectContainer(id);
  if (!state || !state.running || state.restartCount > 0) {
    const tail = state ? (await engine.containerLogs(id, 20).catch(() => '')).trim().split('\n').slice(-5).join(' | ') : '';
    throw new ServiceError(`service ${name} exited${state ? ` with code ${state.exitCode}` : ''}${tail ? `: ${tail}` : ''}`);
  }
  if (state.health === 'unhealthy') throw new ServiceError(`service ${name}: its healthcheck reports unhealthy`);
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
    for (;;) {
      input.signal.throwIfAborted();
      await assertRunning(engine, input.containerId, input.name);
      if ((await engine.inspectContainer(input.containerId))?.health === 'healthy') return;
      if (Date.now() > deadline) throw new ServiceError(`service ${input.name} was not healthy after ${input.timeoutMs / 1000}s`);
      await sleep(250);
    }
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
