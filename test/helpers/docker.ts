import Docker from 'dockerode';
import { demux } from '../../src/docker/dockerode-engine.js';

export const docker = (): Docker => new Docker({ socketPath: '/var/run/docker.sock' });

/** Runs a one-shot busybox command on `network` (from inside the Docker network) and returns its output. */
export async function runInNetwork(d: Docker, network: string, cmd: string[], label: Record<string, string>): Promise<{ code: number; output: string }> {
  const container = await d.createContainer({ Image: 'helvetia-base:latest', Cmd: cmd, Labels: label, HostConfig: { NetworkMode: network } });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true })) as Buffer;
    return { code: StatusCode, output: demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

/** Removes every container, image and network carrying `label=value`. */
export async function removeLabelled(d: Docker, filter: string): Promise<void> {
  for (const c of await d.listContainers({ all: true, filters: { label: [filter] } })) {
    await d.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const i of await d.listImages({ filters: { label: [filter] } })) {
    await d.getImage(i.Id).remove({ force: true }).catch(() => undefined);
  }
}
