import type Docker from 'dockerode';
import { asDockerUnavailable, notFound } from '../docker/engine.js';
import { volumeNamespace } from '../docker/volume-namespace.js';
import { OWNER_TOKEN_LABEL } from '../proxy/labels.js';
import { demux } from '../docker/dockerode-engine.js';

/** A service as the worker needs it: identity, spec version (for updates), the rolling update's state. */
export interface ServiceState {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  image: string;
  replicas: number;
  /** UpdateStatus.State: updating, paused, completed, rollback_started, rollback_paused, rollback_completed. */
  updateState?: string;
  updateMessage?: string;
}

export interface TaskState {
  id: string;
  nodeId?: string;
  /** Status.State: new … running, complete, failed, rejected, shutdown. */
  state: string;
  desiredState: string;
  /** Status.Err: why the task failed ("task: non-zero exit (1)", "unhealthy container"…). */
  error?: string;
  message?: string;
  /** The task's container labels (its ContainerSpec): which deploy job it belongs to. */
  labels: Record<string, string>;
  updatedAt: string;
}

/**
 * The narrow slice of the Swarm API the swarm backend needs: images go to the registry, every
 * environment is a service. In production it talks to `helvetia proxy` in its swarm profile.
 */
export interface SwarmEngine {
  /** Tags a local image as `target` (repository:tag) and pushes it; resolves with the pushed digest. */
  pushImage(local: string, target: { repository: string; tag: string }): Promise<string>;
  inspectService(name: string): Promise<ServiceState | undefined>;
  createService(spec: object): Promise<string>;
  updateService(id: string, version: number, spec: object): Promise<void>;
  removeService(id: string): Promise<boolean>;
  listServices(labelFilters: string[]): Promise<ServiceState[]>;
  listTasks(service: string): Promise<TaskState[]>;
  /** The last `tail` lines of a service's tasks' output (a release or seed job). */
  serviceLogs(id: string, tail: number): Promise<string>;
  /** The volume namespace of the owner of `network` (an owned overlay): see src/docker/volume-namespace.ts. */
  volumeNamespace(network: string): Promise<string>;
}

/** helvetia/<repo>--<owner>:<sha> → the registry repository and tag it is pushed as. */
export function registryTarget(registry: string, image: string): { repository: string; tag: string } {
  const colon = image.lastIndexOf(':');
  return { repository: `${registry}/${image.slice(0, colon)}`, tag: image.slice(colon + 1) };
}

/** X-Registry-Auth for dockerode (it base64-encodes the object): credentials, or only the address (a registry without auth). */
export type RegistryAuth = { username?: string; password?: string; serveraddress: string };

/** The registry auth from REGISTRY_URL / REGISTRY_USERNAME / REGISTRY_PASSWORD. */
export function registryAuth(config: { REGISTRY_URL?: string; REGISTRY_USERNAME?: string; REGISTRY_PASSWORD?: string }): RegistryAuth {
  return { serveraddress: config.REGISTRY_URL ?? '', ...(config.REGISTRY_USERNAME ? { username: config.REGISTRY_USERNAME, password: config.REGISTRY_PASSWORD ?? '' } : {}) };
}


function toService(info: Docker.Service): ServiceState {
  const spec = info.Spec as { Name: string; Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string } }; Mode?: { Replicated?: { Replicas?: number } } };
  const update = (info as { UpdateStatus?: { State?: string; Message?: string } }).UpdateStatus;
  return {
    id: info.ID, name: spec.Name, version: info.Version?.Index ?? 0, labels: spec.Labels ?? {}, image: spec.TaskTemplate?.ContainerSpec?.Image ?? '',
    replicas: spec.Mode?.Replicated?.Replicas ?? 1, ...(update?.State ? { updateState: update.State } : {}), ...(update?.Message ? { updateMessage: update.Message } : {}),
  };
}

/**
 * SwarmEngine over dockerode: `docker` talks to a manager (its proxy) for services and tasks;
 * `builder` to the node that built the image (this worker's own proxy), which pushes it.
 */
export class DockerodeSwarm implements SwarmEngine {
  constructor(
    private readonly docker: Docker,
    private readonly auth: RegistryAuth,
    private readonly builder: Docker = docker,
  ) {}

  /** Credentials go with service calls only when there are any (nodes then pull with them). */
  private get serviceAuth(): RegistryAuth | undefined {
    return this.auth.username ? this.auth : undefined;
  }

  async pushImage(local: string, target: { repository: string; tag: string }): Promise<string> {
    try {
      await this.builder.getImage(local).tag({ repo: target.repository, tag: target.tag });
      // The Engine API wants an X-Registry-Auth header on push even for a registry without auth.
      const stream = await this.builder.getImage(target.repository).push({ tag: target.tag, authconfig: this.auth });
      const events = await new Promise<{ error?: string; aux?: { Digest?: string } }[]>((resolve, reject) =>
        this.builder.modem.followProgress(stream, (error: Error | null, output: { error?: string; aux?: { Digest?: string } }[]) => (error ? reject(error) : resolve(output))),
      );
      const failed = events.find((e) => e.error);
      if (failed) throw new Error(`pushing ${target.repository}:${target.tag} failed: ${failed.error}`);
      const digest = events.find((e) => e.aux?.Digest)?.aux?.Digest;
      if (!digest) throw new Error(`the registry gave no digest for ${target.repository}:${target.tag}`);
      return digest;
    } catch (error) {
      throw asDockerUnavailable(error, '(push)');
    }
  }

  async inspectService(name: string): Promise<ServiceState | undefined> {
    try {
      return toService((await this.docker.getService(name).inspect()) as Docker.Service);
    } catch (error) {
      if (notFound(error)) return undefined;
      throw asDockerUnavailable(error, '(service inspect)');
    }
  }

  async createService(spec: object): Promise<string> {
    const auth = this.serviceAuth;
    const created = auth ? await this.docker.createService(auth, spec as Docker.ServiceSpec) : await this.docker.createService(spec as Docker.CreateServiceOptions);
    return created.id;
  }

  async updateService(id: string, version: number, spec: object): Promise<void> {
    // `version` in the query, the spec as the body (docker-modem would put every field in the query).
    const opts = { _query: { version }, _body: spec, ...(this.serviceAuth ? { authconfig: this.serviceAuth } : {}) };
    await this.docker.getService(id).update(opts);
  }

  async removeService(id: string): Promise<boolean> {
    try {
      await this.docker.getService(id).remove();
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw asDockerUnavailable(error, '(service remove)');
    }
  }

  async listServices(labelFilters: string[]): Promise<ServiceState[]> {
    return ((await this.docker.listServices({ filters: { label: labelFilters } })) as Docker.Service[]).map(toService);
  }

  async serviceLogs(id: string, tail: number): Promise<string> {
    const raw = (await this.docker.getService(id).logs({ stdout: true, stderr: true, follow: false, tail })) as unknown as Buffer;
    return demux(raw);
  }

  async volumeNamespace(network: string): Promise<string> {
    const info = (await this.docker.getNetwork(network).inspect()) as { Labels?: Record<string, string> };
    const token = info.Labels?.[OWNER_TOKEN_LABEL];
    if (!token) throw new Error(`network ${network} carries no owner token: it was not created through the proxy`);
    return volumeNamespace(token);
  }

  async listTasks(service: string): Promise<TaskState[]> {
    const tasks = (await this.docker.listTasks({ filters: { service: [service] } })) as {
      ID: string; NodeID?: string; DesiredState: string; UpdatedAt: string;
      Status: { State: string; Err?: string; Message?: string }; Spec: { ContainerSpec?: { Labels?: Record<string, string> } };
    }[];
    return tasks.map((t) => ({
      id: t.ID, ...(t.NodeID ? { nodeId: t.NodeID } : {}), state: t.Status.State, desiredState: t.DesiredState, updatedAt: t.UpdatedAt,
      ...(t.Status.Err ? { error: t.Status.Err } : {}), ...(t.Status.Message ? { message: t.Status.Message } : {}), labels: t.Spec.ContainerSpec?.Labels ?? {},
    }));
  }
}
