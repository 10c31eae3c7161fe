import type Docker from 'dockerode';

export class SwarmImageError extends Error {
  override name = 'SwarmImageError';
}

interface Progress {
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string };
}

/** Reads an Engine API progress stream to its end; a message carrying `error` fails it. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<Progress[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Progress[]) => {
      const failed = output?.find((message) => message.error);
      if (err || failed) reject(new SwarmImageError(`${what}: ${err?.message ?? failed?.errorDetail?.message ?? failed?.error}`));
      else resolve(output);
    });
  });
}

export const hasImage = (docker: Docker, name: string): Promise<boolean> =>
  docker.getImage(name).inspect().then(() => true, () => false);

/** Copies image `name` from one daemon to another (`docker save | docker load`), streamed. */
export async function copyImage(from: Docker, to: Docker, name: string): Promise<void> {
  if (!(await hasImage(from, name))) throw new SwarmImageError(`${name} is not on the source daemon (see scripts/build-*-images.sh)`);
  const tar = await from.getImage(name).get();
  const loaded = await to.loadImage(tar);
  await followProgress(to, loaded, `loading ${name}`);
  if (!(await hasImage(to, name))) throw new SwarmImageError(`${name} did not arrive on the node`);
}

/** Splits `repo[:tag]` (a registry host's `:port` is not a tag). */
export function splitTag(name: string): { repo: string; tag: string } {
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: 'latest' };
}

/**
 * Tags `localName` (present on `docker`) as `<registry>/hvswarm/<repo>:<tag>`, pushes it and
 * returns the reference by digest, `<registry>/hvswarm/<repo>@sha256:…`, which every node can pull.
 */
export async function pushImage(docker: Docker, registry: string, localName: string): Promise<string> {
  const { repo, tag } = splitTag(localName);
  const remote = `${registry}/hvswarm/${repo.split('/').pop()}`;
  await docker.getImage(localName).tag({ repo: remote, tag });
  // The registry has no auth; the Engine API still wants an X-Registry-Auth header on push.
  const stream = await docker.getImage(`${remote}:${tag}`).push({ tag, authconfig: { serveraddress: registry } });
  const output = await followProgress(docker, stream, `pushing ${remote}:${tag}`);
  const digest = output.map((message) => message.aux?.Digest).find(Boolean);
  if (!digest) throw new SwarmImageError(`push of ${remote}:${tag} reported no digest`);
  return `${remote}@${digest}`;
}
