import type { Readable } from 'node:stream';
import type { Config } from '../config/load-config.js';
import { parseRepoConfig, REPO_CONFIG_FILE, REPO_CONFIG_MAX_BYTES, RepoConfigError, type RepoConfig } from '../config/repo-config.js';
import { BuildError, type DockerEngine } from '../docker/engine.js';
import { environmentLabel } from '../docker/hostname.js';
import { ownershipLabels, type DeploymentIdentity } from '../docker/labels.js';
import { SourceError } from '../github/build-context.js';
import type { GitHubClient } from '../github/client.js';
import { BUILD_DOCKERFILE, contextStream } from '../github/context-stream.js';
import { labelInstruction } from '../github/dockerfile-append.js';
import { FileTooLargeError, readRepoFile } from '../github/repo-file.js';
import { archiveSource, openTarball } from '../github/tarball.js';
import type { DeployJobData } from '../queue/job-types.js';
import { DeployTimeoutError, dockerMessage } from './deploy-errors.js';
import type { DeployLog } from './deploy-log.js';

/** Image reference per repository and commit: `helvetia/<repo>--<owner>:<sha>`. */
export function imageTag(data: Pick<DeployJobData, 'owner' | 'repo' | 'sha'>): string {
  return `helvetia/${environmentLabel(data.owner, data.repo, 'production')}:${data.sha}`;
}

const DOCKERIGNORE_MAX_BYTES = 256 * 1024;

/** The proxy's image ownership token shows in the builder's output (its LABEL step): never in a build log. */
const OWNER_TOKEN = /(cloud\.helvetia\.owner=)[0-9a-f]{64}/g;
export const maskOwnerToken = (line: string): string => line.replace(OWNER_TOKEN, '$1[proxy owner token]');

export interface Source {
  repoConfig: RepoConfig;
  /** The build context's .dockerignore at the commit, if it has one. */
  dockerignore: string | undefined;
}

/** Reads .helvetia.yml and the context's .dockerignore at exactly `data.sha`, without downloading the repository. */
export async function sourceStep(input: { data: DeployJobData; octokit: GitHubClient; config: Config; log: DeployLog; signal?: AbortSignal }): Promise<Source> {
  const { data, config, log } = input;
  const file = (path: string, maxBytes: number) => readRepoFile(input.octokit, { owner: data.owner, repo: data.repo, path, ref: data.sha, maxBytes, signal: input.signal });
  // Fetched alongside: the root's .dockerignore is the one most contexts use.
  const rootIgnore = file('.dockerignore', DOCKERIGNORE_MAX_BYTES);
  rootIgnore.catch(() => undefined);
  const text = await file(REPO_CONFIG_FILE, REPO_CONFIG_MAX_BYTES).catch((error: unknown) => {
    throw error instanceof FileTooLargeError ? new RepoConfigError(`${REPO_CONFIG_FILE} is over the ${REPO_CONFIG_MAX_BYTES}-byte limit`) : error;
  });
  const repoConfig = parseRepoConfig(text, {
    memoryMb: config.RUN_MEMORY_MB, cpus: config.RUN_CPUS, port: config.CONTAINER_PORT, serviceCapAdd: config.SERVICE_CAP_ADD_ALLOWED, serviceImages: config.SERVICE_IMAGES,
  });
  log.step(text === undefined ? `no ${REPO_CONFIG_FILE}: using defaults` : `read ${REPO_CONFIG_FILE}`);
  const contextDir = repoConfig.context.replace(/^\.\/?/, '').replace(/\/$/, '');
  const dockerignore = await (contextDir === '' ? rootIgnore : file(`${contextDir}/.dockerignore`, DOCKERIGNORE_MAX_BYTES));
  return { repoConfig, dockerignore };
}

/**
 * Builds the image of exactly `data.sha` with the Docker engine under memory/CPU/pids limits and a
 * timeout: the tarball streams from GitHub through contextStream into /build, never whole in memory.
 */
export async function buildStep(input: {
  data: DeployJobData;
  identity: DeploymentIdentity;
  source: Source;
  octokit: GitHubClient;
  engine: DockerEngine;
  config: Config;
  log: DeployLog;
  signal: AbortSignal;
}): Promise<{ image: string; buildMs: number }> {
  const { config, log, data } = input;
  const { repoConfig } = input.source;
  const image = imageTag(data);
  log.step(`building ${image} from ${repoConfig.context}/${repoConfig.dockerfile} (${config.BUILD_MEMORY_MB} MB, ${config.BUILD_CPUS} CPU${config.BUILD_PIDS_LIMIT ? `, ${config.BUILD_PIDS_LIMIT} processes per step` : ''}, timeout ${config.BUILD_TIMEOUT_SECONDS}s)`);
  const timeout = AbortSignal.timeout(config.BUILD_TIMEOUT_SECONDS * 1000);
  const signal = AbortSignal.any([timeout, input.signal]);
  const started = Date.now();
  let sourceFailure: SourceError | undefined;
  let context: Readable | undefined;
  try {
    const limits = { maxBytes: config.SOURCE_MAX_BYTES, maxInflatedBytes: config.SOURCE_MAX_INFLATED_BYTES, maxEntries: config.SOURCE_MAX_ENTRIES };
    const plan = {
      directory: repoConfig.context, dockerfile: repoConfig.dockerfile, dockerignore: input.source.dockerignore, limits,
      // One LABEL step for all of them; the proxy adds its ownership token as one more.
      appendToDockerfile: labelInstruction(ownershipLabels(input.identity, 'image')),
    };
    const request = { tag: image, dockerfile: BUILD_DOCKERFILE, memoryBytes: config.BUILD_MEMORY_MB * 1024 * 1024, cpus: config.BUILD_CPUS, pidsLimit: config.BUILD_PIDS_LIMIT || undefined, signal };
    const onLine = (line: string) => log.build(maskOwnerToken(line));
    if (input.engine.buildFromArchive) {
      // Download, unpack and upload on the engine's thread: this event loop only sees the output lines.
      await input.engine.buildFromArchive({ ...request, archive: await archiveSource(input.octokit, data, plan) }, onLine);
    } else {
      const tarball = await openTarball(input.octokit, { owner: data.owner, repo: data.repo, sha: data.sha, limits, signal });
      context = contextStream(tarball, plan);
      context.on('error', (error) => {
        if (error instanceof SourceError) sourceFailure = error;
      });
      await input.engine.build({ ...request, context }, onLine);
    }
  } catch (error) {
    context?.destroy();
    if (input.signal.aborted) throw input.signal.reason;
    if (timeout.aborted) throw new DeployTimeoutError(`the build did not finish within ${config.BUILD_TIMEOUT_SECONDS}s`);
    // The builder only sees a context cut short: the reason is the archive's.
    if (sourceFailure) throw sourceFailure;
    if (error instanceof SourceError) throw error;
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
