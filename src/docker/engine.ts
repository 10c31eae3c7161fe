import type { ContainerUsage } from './container-stats.js';
import type { Readable } from 'node:stream';
import type { ContainerCreateOptions } from 'dockerode';
import type { ArchiveSource } from './build-thread-messages.js';

export interface BuildRequest {
  /** Uncompressed tar of the build context, streamed to the builder as it is produced. */
  context: Readable;
  tag: string;
  dockerfile: string;
  /** Labels through the API's `labels` parameter: one builder step each (the worker puts its own in the Dockerfile). */
  labels?: Record<string, string>;
  memoryBytes: number;
  cpus: number;
  /**
   * Processes per RUN step. The classic builder has no such parameter: the engine applies it to
   * each step's container as soon as the build output names it ("Running in <id>").
   */
  pidsLimit?: number;
  signal: AbortSignal;
}

export interface ContainerState {
  id: string;
  name: string;
  running: boolean;
  /** Docker health status when the image has a HEALTHCHECK: starting | healthy | unhealthy. */
  health?: string;
  exitCode: number;
  restartCount: number;
  oomKilled: boolean;
  labels: Record<string, string>;
  /** When it (last) started, ISO time. */
  startedAt?: string;
  /** The last HEALTHCHECK runs Docker kept (State.Health.Log), oldest first. */
  healthLog?: HealthCheckRun[];
}

export interface HealthCheckRun {
  exitCode: number;
  output: string;
  end: string;
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  created: number;
  labels: Record<string, string>;
  /** IPv4 address per network the container is attached to. */
  addresses: Record<string, string>;
}

/** Raised when a build fails; `message` is the builder's own error line. */
export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** The Docker daemon could not be reached, or dropped the connection mid-request (it restarted). */
export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
}

/** dockerd (or the proxy) answered 404: the object is not there. */
export const notFound = (error: unknown): boolean => (error as { statusCode?: number }).statusCode === 404;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * A socket-level failure talking to dockerd ("connect ECONNREFUSED …", a stream cut off with
 * "aborted") as a DockerUnavailableError saying so in words; anything else is returned as is.
 */
export function asDockerUnavailable(error: unknown, during: string): unknown {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== undefined && CONNECTION_CODES.has(code)) return new DockerUnavailableError(`the Docker daemon is unreachable ${during} (${message ?? code})`);
  if (message === 'aborted' || message === 'socket hang up') return new DockerUnavailableError(`the connection to the Docker daemon was lost ${during} (did dockerd restart?)`);
  return error;
}

/**
 * The narrow slice of the Docker Engine API the worker needs. Implemented with dockerode in
 * DockerodeEngine; in production it talks to our socket proxy (DOCKER_HOST), never the raw socket.
 */
export interface DockerEngine {
  /** Builds an image, calling onLine for each output line; resolves with the image id. */
  build(request: BuildRequest, onLine: (line: string) => void): Promise<string>;
  /**
   * The same build from a repository archive the engine downloads and unpacks itself, on a worker
   * thread (DockerodeEngine with its DOCKER_HOST): the caller's event loop sees only output lines.
   * Absent: the caller streams the context to build().
   */
  buildFromArchive?(request: Omit<BuildRequest, 'context'> & { archive: ArchiveSource }, onLine: (line: string) => void): Promise<string>;
  imageHealthcheck(image: string): Promise<boolean>;
  /** Removes an image unless a container still uses it; resolves false when it was kept or absent. */
  removeImage(image: string): Promise<boolean>;
  listImages(labelFilters: string[]): Promise<{ id: string; tags: string[]; labels: Record<string, string> }[]>;
  createContainer(spec: ContainerCreateOptions): Promise<string>;
  startContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerState | undefined>;
  /** Resolves with the exit code once the container stops. */
  waitContainer(id: string): Promise<number>;
  containerLogs(id: string, tail: number): Promise<string>;
  /** The exit code of the container's last `die` event since `sinceSeconds` (Unix time): a restarted container's State shows 0. */
  lastExitCode(id: string, sinceSeconds: number): Promise<number | undefined>;
  /**
   * Calls `onEvent` with the action of each of the container's events (`health_status: healthy`,
   * `die`, `oom`…) until the returned function is called. Resolves once dockerd streams, so no event
   * after that is missed. A broken stream ends the calls silently: callers re-check the state on a
   * timer as well.
   */
  watchContainer(id: string, onEvent: (action: string) => void): Promise<() => void>;
  /** One sample of the container's CPU and memory use (the stats API, not streamed). */
  containerStats(id: string): Promise<ContainerUsage>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(labelFilters: string[]): Promise<ContainerSummary[]>;
  /** Renames a container; dockerd moves its DNS name on every user-defined network with it. */
  renameContainer(id: string, name: string): Promise<void>;
  networkExists(name: string): Promise<boolean>;
  /** Takes a container off a network (it stops receiving traffic) without stopping it. */
  disconnectNetwork(containerId: string, network: string): Promise<void>;
  /**
   * Joins a running container to a network under the given DNS aliases; at `ipv4` when given,
   * which dockerd allows only on a network whose subnet was configured when it was created.
   */
  connectNetwork(containerId: string, network: string, endpoint: { aliases?: string[]; ipv4?: string }): Promise<void>;
  ping(): Promise<void>;
  /**
   * An owned bridge network (internal: no route out of the host), or with `overlay` an attachable
   * overlay spanning a Swarm's nodes. Resolves once it exists.
   */
  createNetwork(name: string, labels: Record<string, string>, options: { internal: boolean; subnet?: string; overlay?: boolean }): Promise<void>;
  /** Resolves false when there was no such network. */
  removeNetwork(name: string): Promise<boolean>;
  /** A named local volume with these labels; an existing one of that name is kept. */
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  removeVolume(name: string): Promise<boolean>;
  listVolumes(labelFilters: string[]): Promise<{ name: string; labels: Record<string, string> }[]>;
  imageExists(image: string): Promise<boolean>;
  /** Pulls an image by name (through the proxy: `fromImage` only). */
  pullImage(image: string, signal: AbortSignal): Promise<void>;
  /** A tar of `path` in the container (GET /containers/{id}/archive). */
  getArchive(containerId: string, path: string): Promise<Readable>;
  /** Unpacks a tar into `path` in the container (PUT /containers/{id}/archive). */
  putArchive(containerId: string, path: string, tar: Readable): Promise<void>;
}
