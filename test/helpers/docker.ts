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

/**
 * Creates a bridge network the way docker-compose.yml declares the edge network: with a configured
 * subnet, so a replaced container can rejoin at its address and drain. The subnet is one dockerd
 * picked itself a moment before (free, and clear of the host's routes).
 */
export async function createEdgeNetwork(d: Docker, name: string, labels: Record<string, string>): Promise<void> {
  const probe = await d.createNetwork({ Name: `${name}-subnet`, Labels: labels });
  const info = (await probe.inspect()) as { IPAM: { Config: { Subnet: string }[] } };
  await probe.remove();
  await d.createNetwork({ Name: name, Labels: labels, IPAM: { Driver: 'default', Config: [{ Subnet: info.IPAM.Config[0]!.Subnet }] } });
}

/**
 * Removes every container, then every image carrying `filter` (label=value). Build layers depend
 * on each other, so images go in passes until nothing more can be removed. Never prunes globally.
 */
export async function removeLabelled(d: Docker, filter: string): Promise<void> {
  for (const c of await d.listContainers({ all: true, filters: { label: [filter] } }).catch(() => [])) {
    await d.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (let pass = 0; pass < 10; pass++) {
    const images = await d.listImages({ all: true, filters: { label: [filter] } }).catch(() => []);
    if (images.length === 0) return;
    let removed = 0;
    for (const image of images) {
      if (await d.getImage(image.Id).remove({ force: true }).then(() => true, () => false)) removed++;
    }
    if (removed === 0) return;
  }
}
