/**
 * How much of a build Docker's /events cannot show: the time from the build request to the first
 * build-step container (context upload, Dockerfile parse, FROM). Measured by building the same
 * kind of site directly with the worker's own DockerodeEngine and the worker's build limits.
 */
import Docker from 'dockerode';
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { Readable } from 'node:stream';
import { contextStream } from '../../src/github/context-stream.js';
import { githubTarball } from '../../test/helpers/tarball.js';
import type { DockerEvents } from './docker-events.js';
import { randomSha, waitUntil } from './stack.js';

export interface Calibration {
  /** Per build: request sent → first build-step container created (dockerd's clock). */
  beforeFirstEvent: number[];
}

export async function calibrateBuilds(opts: {
  docker: Docker;
  events: DockerEvents;
  /** The site's files for a marker SHA; the Dockerfile must LABEL hvbench.sha=<sha> first. */
  files: (sha: string) => Record<string, string>;
  labels: Record<string, string>;
  builds: number;
}): Promise<Calibration> {
  const engine = new DockerodeEngine(opts.docker);
  const beforeFirstEvent: number[] = [];
  for (let i = 0; i < opts.builds; i++) {
    const sha = randomSha();
    const limits = { maxBytes: 64 * 1024 * 1024, maxInflatedBytes: 256 * 1024 * 1024, maxEntries: 10_000 };
    const archive = await githubTarball('hvbench', 'calibration', sha, opts.files(sha));
    const context = contextStream(Readable.from([archive]), { directory: '.', dockerfile: 'Dockerfile', appendToDockerfile: '', limits });
    const tag = `hvbench-calibration:${sha}`;
    const sent = Date.now();
    await engine.build(
      { context, tag, dockerfile: 'Dockerfile', labels: opts.labels, memoryBytes: 2048 * 1024 * 1024, cpus: 1, signal: AbortSignal.timeout(120_000) },
      () => undefined,
    );
    const first = await waitUntil('the first build event', () => opts.events.first((e) => e.action === 'create' && e.attributes['hvbench.sha'] === sha), 5_000);
    beforeFirstEvent.push(first.time - sent);
    await opts.docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  }
  return { beforeFirstEvent };
}
