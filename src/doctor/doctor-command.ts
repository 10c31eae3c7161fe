import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loadConfig } from '../config/load-config.js';
import { createDockerClient } from '../docker/docker-client.js';
import { DockerodeEngine } from '../docker/dockerode-engine.js';
import { GitHubApp } from '../github/client.js';
import { createLogger } from '../logger.js';
import { createProducerConnection } from '../queue/redis.js';
import { formatResult, runChecks, type DoctorDeps } from './checks.js';

/** A GET with a deadline; `host` overrides the Host header (asking Traefik for a name by address). */
export function httpGet(url: string, options: { host?: string; socketPath?: string } = {}): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      { method: 'GET', hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, socketPath: options.socketPath, timeout: 5000, headers: options.host ? { host: options.host } : {}, servername: options.host },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body.length < 65536 ? (body += chunk) : undefined));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5s')));
    req.on('error', reject);
    req.end();
  });
}

/** `helvetia doctor`: every check on its own line; exit code 0 only when all pass. */
export async function doctorCommand(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, overrides: Partial<DoctorDeps> = {}): Promise<number> {
  const config = loadConfig(env);
  const redis = createProducerConnection(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  await redis.connect().catch(() => undefined);
  const docker = new URL(config.DOCKER_HOST);
  const dockerBase = docker.protocol === 'unix:' ? 'http://docker' : `http://${docker.host}`;
  try {
    const deps: DoctorDeps = {
      config, redis,
      engine: new DockerodeEngine(createDockerClient(config.DOCKER_HOST)),
      dockerGet: (path) => httpGet(`${dockerBase}${path}`, docker.protocol === 'unix:' ? { socketPath: docker.pathname } : {}),
      githubApp: () => new GitHubApp(config, createLogger({ level: 'silent' })).app(),
      lookup: async (host) => (await lookup(host)).address,
      httpGet: (url, host) => httpGet(url, { host }),
      dataRoot: env.DOCKER_DATA_ROOT ?? (existsSync('/var/lib/docker') ? '/var/lib/docker' : '/'),
      ...overrides,
    };
    const { ok, results } = await runChecks(deps);
    for (const result of results) out.write(`${formatResult(result)}\n`);
    out.write(ok ? 'all checks passed\n' : `${results.filter((r) => !r.ok).length} check(s) failed\n`);
    return ok ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}
