import type Docker from 'dockerode';
import { demux } from '../../src/docker/dockerode-engine.js';

/**
 * Removes containers and images carrying `filter` (a label=value only this test uses). Build
 * layers depend on each other, so images go in passes until nothing more can be removed.
 */
export async function removeOwned(docker: Docker, filter: string): Promise<void> {
  for (const c of await docker.listContainers({ all: true, filters: { label: [filter] } }).catch(() => [])) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (let pass = 0; pass < 10; pass++) {
    const images = await docker.listImages({ all: true, filters: { label: [filter] } }).catch(() => []);
    if (images.length === 0) return;
    let removed = 0;
    for (const image of images) {
      if (await docker.getImage(image.Id).remove({ force: true }).then(() => true, () => false)) removed++;
    }
    if (removed === 0) return;
  }
}

/** Output of a one-shot helvetia-base command on `network` (asked from inside it, never from the host). */
export async function runOnNetwork(docker: Docker, network: string, cmd: string[], labels: Record<string, string>): Promise<string> {
  const container = await docker.createContainer({ Image: 'helvetia-base:latest', Cmd: cmd, Labels: labels, HostConfig: { NetworkMode: network } });
  try {
    await container.start();
    await container.wait();
    return demux((await container.logs({ stdout: true, stderr: true })) as Buffer).trim();
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
