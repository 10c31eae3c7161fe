import { usageFromStats, type ContainerUsage } from './container-stats.js';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { buildImage } from './dockerode-build.js';
import { BuildThreads } from './build-thread.js';
import { asDockerUnavailable, notFound, type BuildRequest, type ContainerState, type ContainerSummary, type DockerEngine } from './engine.js';

/** 409 "removal of container ... is already in progress": someone else is removing it already. */
const beingRemoved = (error: unknown): boolean =>
  (error as { statusCode?: number }).statusCode === 409 && /already in progress/i.test(String((error as Error).message));

/**
 * DockerEngine over dockerode; `docker` is built once in the entrypoint from DOCKER_HOST. Given
 * that DOCKER_HOST too, it builds from archives on a worker thread (buildFromArchive), which opens
 * its own connection to it.
 */
export class DockerodeEngine implements DockerEngine {
  readonly buildFromArchive?: DockerEngine['buildFromArchive'];

  constructor(
    private readonly docker: Docker,
    options: { dockerHost?: string } = {},
  ) {
    const threads = options.dockerHost ? new BuildThreads(options.dockerHost) : undefined;
    if (threads) this.buildFromArchive = (request, onLine) => threads.build(request, onLine);
    // Every call but build (which words its own): socket failures say "Docker daemon", not "ENOENT".
    const methods = ['imageHealthcheck', 'removeImage', 'listImages', 'createContainer', 'startContainer', 'inspectContainer', 'waitContainer', 'containerLogs', 'lastExitCode', 'watchContainer', 'stopContainer', 'removeContainer', 'listContainers', 'renameContainer', 'networkExists', 'disconnectNetwork', 'connectNetwork', 'ping', 'createNetwork', 'removeNetwork', 'createVolume', 'removeVolume', 'listVolumes', 'imageExists', 'getArchive', 'putArchive'] as const;
    for (const name of methods) {
      const call = (this[name] as (...args: unknown[]) => Promise<unknown>).bind(this);
      Object.assign(this, { [name]: (...args: unknown[]) => call(...args).catch((error: unknown) => Promise.reject(asDockerUnavailable(error, `(${name})`))) });
    }
  }

  async build(req: BuildRequest, onLine: (line: string) => void): Promise<string> {
    try {
      return await buildImage(this.docker, req, onLine);
    } catch (error) {
      if (req.signal.aborted) throw error;
      throw asDockerUnavailable(error, 'during the build');
    }
  }

  async imageHealthcheck(image: string): Promise<boolean> {
    const info = await this.docker.getImage(image).inspect();
    const test = info.Config?.Healthcheck?.Test;
    return Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
  }

  async removeImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).remove({ force: false });
      return true;
    } catch (error) {
      // 409: still used by a container (another environment runs the same commit): keep it.
      if (notFound(error) || (error as { statusCode?: number }).statusCode === 409) return false;
      throw error;
    }
  }

  async listImages(labelFilters: string[]) {
    const images = await this.docker.listImages({ filters: { label: labelFilters } });
    return images.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [], labels: i.Labels ?? {} }));
  }

  async createContainer(spec: Docker.ContainerCreateOptions): Promise<string> {
    return (await this.docker.createContainer(spec)).id;
  }

  async startContainer(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        running: info.State.Running,
        health: info.State.Health?.Status,
        exitCode: info.State.ExitCode,
        restartCount: info.RestartCount,
        oomKilled: info.State.OOMKilled,
        labels: info.Config.Labels ?? {},
        startedAt: info.State.StartedAt,
        healthLog: (info.State.Health as { Log?: { ExitCode: number; Output: string; End: string }[] } | undefined)?.Log?.map((l) => ({ exitCode: l.ExitCode, output: l.Output, end: l.End })),
      };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  async waitContainer(id: string): Promise<number> {
    const result = (await this.docker.getContainer(id).wait()) as { StatusCode: number };
    return result.StatusCode;
  }

  async containerLogs(id: string, tail: number): Promise<string> {
    const buffer = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false })) as Buffer;
    return demux(buffer);
  }

  async containerStats(id: string): Promise<ContainerUsage> {
    return usageFromStats(await this.docker.getContainer(id).stats({ stream: false }));
  }

  async lastExitCode(id: string, sinceSeconds: number): Promise<number | undefined> {
    const stream = await this.docker.getEvents({ since: sinceSeconds, until: Math.ceil(Date.now() / 1000), filters: { container: [id], event: ['die'] } });
    let code: number | undefined;
    let buffered = '';
    for await (const chunk of stream) buffered += String(chunk);
    for (const line of buffered.split('\n').filter(Boolean)) {
      const value = Number((JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes?.exitCode);
      if (Number.isInteger(value)) code = value;
    }
    return code;
  }

  async watchContainer(id: string, onEvent: (action: string) => void): Promise<() => void> {
    const stream = (await this.docker.getEvents({ filters: { type: ['container'], container: [id] } })) as unknown as Readable;
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) onEvent(String((JSON.parse(line) as { Action?: string }).Action ?? ''));
    });
    // The watcher is a shortcut: its callers re-inspect on a timer, which reports a daemon that is gone.
    stream.on('error', () => undefined);
    return () => stream.destroy();
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (error) {
      const code = (error as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw error;
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (!notFound(error) && !beingRemoved(error)) throw error;
    }
  }

  async listContainers(labelFilters: string[]): Promise<ContainerSummary[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: labelFilters } });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      created: c.Created,
      labels: c.Labels ?? {},
      addresses: Object.fromEntries(
        Object.entries(c.NetworkSettings?.Networks ?? {}).flatMap(([name, n]) => (n.IPAddress ? [[name, n.IPAddress]] : [])),
      ),
    }));
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.docker.getContainer(id).rename({ name });
  }

  async networkExists(name: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).inspect();
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  }

  async disconnectNetwork(containerId: string, network: string): Promise<void> {
    try {
      await this.docker.getNetwork(network).disconnect({ Container: containerId, Force: true });
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  }

  async connectNetwork(containerId: string, network: string, endpoint: { aliases?: string[]; ipv4?: string }): Promise<void> {
    const EndpointConfig = {
      ...(endpoint.aliases ? { Aliases: endpoint.aliases } : {}),
      ...(endpoint.ipv4 ? { IPAMConfig: { IPv4Address: endpoint.ipv4 } } : {}),
    };
    await this.docker.getNetwork(network).connect({ Container: containerId, EndpointConfig });
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async createNetwork(name: string, labels: Record<string, string>, options: { internal: boolean; subnet?: string; overlay?: boolean }): Promise<void> {
    try {
      await this.docker.createNetwork({
        Name: name, Driver: options.overlay ? 'overlay' : 'bridge', Internal: options.internal, Labels: labels, CheckDuplicate: true,
        ...(options.overlay ? { Attachable: true } : {}),
        ...(options.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: options.subnet }] } } : {}),
      });
    } catch (error) {
      // 409: it exists already (another deploy of the environment made it a moment ago).
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
  }

  async removeNetwork(name: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).remove();
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.docker.createVolume({ Name: name, Driver: 'local', Labels: labels });
  }

  async removeVolume(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).remove();
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  }

  async listVolumes(labelFilters: string[]) {
    const { Volumes } = await this.docker.listVolumes({ filters: { label: labelFilters } });
    return (Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  }

  async pullImage(image: string, signal: AbortSignal): Promise<void> {
    const stream = (await this.docker.pull(image, { abortSignal: signal })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
        const failed = output?.find((o) => o.error);
        if (error || failed) reject(error ?? new Error(failed!.error));
        else resolve();
      }),
    );
  }

  async getArchive(containerId: string, path: string): Promise<Readable> {
    return (await this.docker.getContainer(containerId).getArchive({ path })) as unknown as Readable;
  }

  async putArchive(containerId: string, path: string, tar: Readable): Promise<void> {
    await this.docker.getContainer(containerId).putArchive(tar, { path });
  }
}

/** Docker multiplexes stdout/stderr in 8-byte-framed chunks when there is no TTY. */
export function demux(buffer: Buffer): string {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 && buffer.length > 0 ? buffer.toString('utf8') : Buffer.concat(out).toString('utf8');
}
