import type { Config } from '../config/load-config.js';
import { parseRepoConfig, REPO_CONFIG_FILE, type RepoConfig } from '../config/repo-config.js';
import { BuildError, type DockerEngine } from '../docker/engine.js';
import { environmentLabel } from '../docker/hostname.js';
import { ownershipLabels, type DeploymentIdentity } from '../docker/labels.js';
import { packContext, sourceFile, type SourceEntry } from '../github/build-context.js';
import type { GitHubClient } from '../github/client.js';
import { downloadSource } from '../github/tarball.js';
import type { DeployJobData } from '../queue/job-types.js';
import { DeployTimeoutError, dockerMessage } from './deploy-errors.js';
import type { DeployLog } from './deploy-log.js';

/** Image reference per repository and commit: `helvetia/<repo>--<owner>:<sha>`. */
export function imageTag(data: Pick<DeployJobData, 'owner' | 'repo' | 'sha'>): string {
  return `helvetia/${environmentLabel(data.owner, data.repo, 'production')}:${data.sha}`;
}

/** Downloads exactly `data.sha` through the GitHub API and reads its .helvetia.yml (at that commit). */
export async function sourceStep(input: { data: DeployJobData; octokit: GitHubClient; config: Config; log: DeployLog; signal?: AbortSignal }): Promise<{ entries: SourceEntry[]; repoConfig: RepoConfig }> {
  const { data, config, log } = input;
  log.step(`fetching ${data.repository}@${data.sha} through the GitHub API`);
  const limits = { maxBytes: config.SOURCE_MAX_BYTES, maxInflatedBytes: config.SOURCE_MAX_INFLATED_BYTES, maxEntries: config.SOURCE_MAX_ENTRIES };
  const entries = await downloadSource(input.octokit, { owner: data.owner, repo: data.repo, sha: data.sha, limits, signal: input.signal });
  const text = sourceFile(entries, REPO_CONFIG_FILE);
  const repoConfig = parseRepoConfig(text, {
    memoryMb: config.RUN_MEMORY_MB, cpus: config.RUN_CPUS, port: config.CONTAINER_PORT, serviceCapAdd: config.SERVICE_CAP_ADD_ALLOWED, serviceImages: config.SERVICE_IMAGES,
  });
  log.step(text === undefined ? `no ${REPO_CONFIG_FILE}: using defaults` : `read ${REPO_CONFIG_FILE}`);
  return { entries, repoConfig };
}

/** Builds the image with the Docker engine under memory/CPU limits and a timeout. */
export async function buildStep(input: {
  data: DeployJobData;
  identity: DeploymentIdentity;
  entries: SourceEntry[];
  repoConfig: RepoConfig;
  engine: DockerEngine;
  config: Config;
  log: DeployLog;
  signal: AbortSignal;
}): Promise<{ image: string; buildMs: number }> {
  const { config, log, repoConfig } = input;
  const context = await packContext(input.entries, repoConfig.context);
  const image = imageTag(input.data);
  log.step(`building ${image} from ${repoConfig.context}/${repoConfig.dockerfile} (${config.BUILD_MEMORY_MB} MB, ${config.BUILD_CPUS} CPU${config.BUILD_PIDS_LIMIT ? `, ${config.BUILD_PIDS_LIMIT} processes per step` : ''}, timeout ${config.BUILD_TIMEOUT_SECONDS}s)`);
  const timeout = AbortSignal.timeout(config.BUILD_TIMEOUT_SECONDS * 1000);
  const signal = AbortSignal.any([timeout, input.signal]);
  const started = Date.now();
  try {
    await input.engine.build(
      {
        context,
        tag: image,
        dockerfile: repoConfig.dockerfile,
        labels: ownershipLabels(input.identity, 'image'),
        memoryBytes: config.BUILD_MEMORY_MB * 1024 * 1024,
        cpus: config.BUILD_CPUS,
        pidsLimit: config.BUILD_PIDS_LIMIT || undefined,
        signal,
      },
      (line) => log.build(line),
    );
  } catch (error) {
    if (input.signal.aborted) throw input.signal.reason;
    if (timeout.aborted) throw new DeployTimeoutError(`the build did not finish within ${config.BUILD_TIMEOUT_SECONDS}s`);
    if (error instanceof BuildError && /non-zero code: 137\b/.test(error.message)) {
      throw new BuildError(`${error.message} (killed: most likely the build went over its memory limit of ${config.BUILD_MEMORY_MB} MB)`);
    }
    if (error instanceof BuildError) throw error;
    const code = (error as { statusCode?: number }).statusCode;
    if (code === 400 || code === 403 || code === 500) throw new BuildError(dockerMessage(error));
    throw error;
  }
  const buildMs = Date.now() - started;
  log.step(`built ${image} in ${(buildMs / 1000).toFixed(1)}s`);
  return { image, buildMs };
}
