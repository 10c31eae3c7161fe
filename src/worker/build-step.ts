import type { Config } from '../config/load-config.js';
import { BuildError, type DockerEngine } from '../docker/engine.js';
import { environmentLabel } from '../docker/hostname.js';
import { ownershipLabels, type DeploymentIdentity } from '../docker/labels.js';
import { tarballToContext } from '../github/build-context.js';
import type { GitHubClient } from '../github/client.js';
import { downloadTarball } from '../github/tarball.js';
import type { DeployJobData } from '../queue/job-types.js';
import { DeployTimeoutError } from './deploy-errors.js';
import type { DeployLog } from './deploy-log.js';

const MAX_SOURCE_BYTES = 512 * 1024 * 1024;

/** Image reference per repository and commit: `helvetia/<repo>--<owner>:<sha>`. */
export function imageTag(data: DeployJobData): string {
  return `helvetia/${environmentLabel(data.owner, data.repo, 'production')}:${data.sha}`;
}

/**
 * Fetches exactly `data.sha` through the GitHub API and builds it with the Docker engine under
 * memory/CPU limits and a timeout. Resolves with the image tag.
 */
export async function buildStep(input: {
  data: DeployJobData;
  identity: DeploymentIdentity;
  octokit: GitHubClient;
  engine: DockerEngine;
  config: Config;
  log: DeployLog;
  signal: AbortSignal;
}): Promise<{ image: string; buildMs: number }> {
  const { data, config, log } = input;
  log.step(`fetching ${data.repository}@${data.sha} through the GitHub API`);
  const archive = await downloadTarball(input.octokit, { owner: data.owner, repo: data.repo, sha: data.sha, maxBytes: MAX_SOURCE_BYTES });
  const context = await tarballToContext(archive, { maxBytes: MAX_SOURCE_BYTES * 4, capture: ['.helvetia.yml'] });
  const image = imageTag(data);
  log.step(`building ${image} (Dockerfile, ${config.BUILD_MEMORY_MB} MB, ${config.BUILD_CPUS} CPU, timeout ${config.BUILD_TIMEOUT_SECONDS}s)`);
  const timeout = AbortSignal.timeout(config.BUILD_TIMEOUT_SECONDS * 1000);
  const signal = AbortSignal.any([timeout, input.signal]);
  const started = Date.now();
  try {
    await input.engine.build(
      {
        context: context.tar,
        tag: image,
        dockerfile: 'Dockerfile',
        labels: ownershipLabels(input.identity, 'image'),
        memoryBytes: config.BUILD_MEMORY_MB * 1024 * 1024,
        cpus: config.BUILD_CPUS,
        signal,
      },
      (line) => log.build(line),
    );
  } catch (error) {
    if (timeout.aborted) throw new DeployTimeoutError(`the build did not finish within ${config.BUILD_TIMEOUT_SECONDS}s`);
    if (input.signal.aborted) throw input.signal.reason;
    if (error instanceof BuildError) throw error;
    const code = (error as { statusCode?: number }).statusCode;
    if (code === 400 || code === 403) throw new BuildError((error as { json?: { message?: string } }).json?.message ?? String(error));
    throw error;
  }
  const buildMs = Date.now() - started;
  log.step(`built ${image} in ${(buildMs / 1000).toFixed(1)}s`);
  return { image, buildMs };
}
