import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Config } from '../config/load-config.js';
import type { DockerEngine } from '../docker/engine.js';
import { LABEL } from '../docker/labels.js';
import { labelInstruction } from '../github/dockerfile-append.js';
import { ServiceError } from '../services/service-env.js';
import type { DeployLog } from '../worker/deploy-log.js';
import { registryTarget, type SwarmEngine } from './swarm-engine.js';

/** `postgres:16-alpine` → helvetia/services/postgres:16-alpine (a registry path and a tag; a digest becomes the tag). */
export function mirrorName(image: string): string {
  const at = image.indexOf('@');
  const named = at >= 0 ? image.slice(0, at) : image;
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = (hasTag ? named.slice(0, colon) : named).toLowerCase().replace(/:/g, '-');
  const tag = at >= 0 ? image.slice(at + 1).replace(':', '-') : hasTag ? named.slice(colon + 1) : 'latest';
  return `helvetia/services/${repository}:${tag}`;
}

const dockerfileContext = (text: string): Readable => {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile', mode: 0o644, mtime: new Date(0) }, text);
  pack.finalize();
  return pack as unknown as Readable;
};

/**
 * A companion image as every node can pull it: the cluster's registry by digest (the proxy runs
 * nothing else in a service). The image is pulled here if this node lacks it, wrapped in a
 * one-line build (`FROM` it plus our labels: an image of this owner, which the proxy lets the
 * worker push) and pushed. The builder caches the wrap and the registry the layers, so a later
 * deploy costs a push of nothing new.
 */
export async function mirrorServiceImage(input: {
  image: string;
  service: string;
  instance: string;
  engine: DockerEngine;
  swarm: SwarmEngine;
  registry: string;
  config: Config;
  log: DeployLog;
  signal: AbortSignal;
}): Promise<string> {
  const { image, engine, log } = input;
  if (!(await engine.imageExists(image))) {
    log.step(`pulling ${image} for service ${input.service}`);
    await engine.pullImage(image, input.signal).catch((error: Error) => Promise.reject(new ServiceError(`service ${input.service}: image ${image} is not on this node and could not be pulled: ${error.message}`)));
  }
  const local = mirrorName(image);
  const labels = { [LABEL.managed]: 'true', [LABEL.instance]: input.instance, [LABEL.role]: 'image' };
  await engine.build(
    { context: dockerfileContext(`FROM ${image}\n${labelInstruction(labels)}\n`), tag: local, dockerfile: 'Dockerfile', memoryBytes: input.config.BUILD_MEMORY_MB * 1024 * 1024, cpus: input.config.BUILD_CPUS, signal: input.signal },
    () => undefined,
  );
  const target = registryTarget(input.registry, local);
  log.step(`pushing ${image} for service ${input.service} to the cluster's registry as ${target.repository}:${target.tag}`);
  const digest = await input.swarm.pushImage(local, target);
  return `${target.repository}@${digest}`;
}
