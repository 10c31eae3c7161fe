import Docker from 'dockerode';

/** Builds the one dockerode client of a process from DOCKER_HOST (in production: our socket proxy). */
export function createDockerClient(dockerHost: string): Docker {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}
