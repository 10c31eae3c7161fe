import { statfs } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import type { DockerEngine } from '../docker/engine.js';

/** One line of `helvetia doctor`: what passed, or what failed and how to fix it. */
export interface CheckResult {
  ok: boolean;
  name: string;
  detail: string;
  fix?: string;
}

export interface DoctorDeps {
  config: Config;
  redis: Redis;
  engine: DockerEngine;
  /** GET on the Docker endpoint, raw (to tell helvetia proxy from a socket by a refused /info). */
  dockerGet: (path: string) => Promise<{ status: number; body: string }>;
  /** GET /app with the app's JWT: the registered app's slug. */
  githubApp: () => Promise<{ slug: string; id: number }>;
  lookup: (host: string) => Promise<string>;
  httpGet: (url: string, host?: string) => Promise<{ status: number; body: string }>;
  /** Where images live, for the free-space check. */
  dataRoot: string;
}

const pass = (name: string, detail: string): CheckResult => ({ ok: true, name, detail });
const fail = (name: string, detail: string, fix: string): CheckResult => ({ ok: false, name, detail, fix });
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const GIB = 1024 ** 3;
export const MIN_FREE_GIB = 5;

export async function checkRedis({ redis }: DoctorDeps): Promise<CheckResult[]> {
  try {
    await redis.ping();
  } catch (error) {
    return [fail('Redis', `not reachable: ${message(error)}`, 'start Redis and point REDIS_URL at it (docker compose starts one)')];
  }
  const out = [pass('Redis', 'reachable')];
  try {
    const policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
    out.push(policy === 'noeviction' ? pass('Redis eviction', 'maxmemory-policy noeviction') : fail('Redis eviction', `maxmemory-policy is ${policy}: Redis may evict queued jobs`, 'set maxmemory-policy noeviction (redis-server --maxmemory-policy noeviction)'));
    const aof = ((await redis.config('GET', 'appendonly')) as string[])[1];
    const save = ((await redis.config('GET', 'save')) as string[])[1];
    out.push(aof === 'yes' || save ? pass('Redis persistence', aof === 'yes' ? 'appendonly yes' : `snapshots (save ${save})`) : fail('Redis persistence', 'neither appendonly nor snapshots: a Redis restart loses every queued deploy and secret', 'run Redis with --appendonly yes (docker-compose.yml does)'));
  } catch (error) {
    out.push(fail('Redis settings', `could not read them: ${message(error)}`, 'allow CONFIG GET for the bot, or check maxmemory-policy noeviction and appendonly yes by hand'));
  }
  return out;
}

export async function checkDocker(deps: DoctorDeps): Promise<CheckResult[]> {
  const { config, engine } = deps;
  try {
    await engine.ping();
  } catch (error) {
    return [fail('Docker', `not reachable at ${config.DOCKER_HOST}: ${message(error)}`, 'start dockerd (or helvetia proxy) and set DOCKER_HOST to it')];
  }
  const info = await deps.dockerGet('/info').catch(() => ({ status: 0, body: '' }));
  const viaProxy = info.status === 403 && info.body.includes('helvetia proxy');
  const out = [pass('Docker', `${config.DOCKER_HOST} answers, ${viaProxy ? 'through helvetia proxy (policy enforced)' : 'a raw Docker API (no policy: use helvetia proxy in production)'}`)];
  out.push(
    (await engine.networkExists(config.EDGE_NETWORK))
      ? pass('Edge network', `${config.EDGE_NETWORK} exists`)
      : fail('Edge network', `${config.EDGE_NETWORK} does not exist`, `helvetia start / worker create it; or: docker network create --subnet 10.201.0.0/20 ${config.EDGE_NETWORK}`),
  );
  out.push(
    (await engine.imageExists(config.PROBE_IMAGE))
      ? pass('Probe image', `${config.PROBE_IMAGE} present`)
      : fail('Probe image', `${config.PROBE_IMAGE} is not on the host`, `docker pull ${config.PROBE_IMAGE} (or set PROBE_IMAGE to an image with sh, wget and timeout)`),
  );
  return out;
}

export async function checkGitHub(deps: DoctorDeps): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  try {
    const app = await deps.githubApp();
    out.push(pass('GitHub App', `credentials valid: ${app.slug} (id ${app.id})`));
  } catch (error) {
    out.push(fail('GitHub App', `GET /app failed: ${message(error)}`, 'check APP_ID and PRIVATE_KEY (or run helvetia start without them and open APP_BASE_URL/setup)'));
  }
  out.push(pass('Webhook secret', `set (${deps.config.WEBHOOK_SECRET.length} characters)`));
  return out;
}

export async function checkReachability(deps: DoctorDeps): Promise<CheckResult[]> {
  const { config } = deps;
  const out: CheckResult[] = [];
  try {
    const { status } = await deps.httpGet(`${config.APP_BASE_URL}/healthz`);
    out.push(status === 200 ? pass('APP_BASE_URL', `${config.APP_BASE_URL}/healthz answers 200`) : fail('APP_BASE_URL', `${config.APP_BASE_URL}/healthz answers ${status}`, 'start helvetia app, and route APP_BASE_URL to it'));
  } catch (error) {
    out.push(fail('APP_BASE_URL', `${config.APP_BASE_URL}/healthz: ${message(error)}`, 'GitHub must reach APP_BASE_URL: start helvetia app and point DNS / the reverse proxy at it'));
  }
  const probe = `helvetia-doctor.${config.PREVIEW_DOMAIN}`;
  let address: string;
  try {
    address = await deps.lookup(probe);
    out.push(pass('Preview DNS', `*.${config.PREVIEW_DOMAIN} resolves (${probe} → ${address})`));
  } catch (error) {
    out.push(fail('Preview DNS', `${probe} does not resolve: ${message(error)}`, `add a wildcard DNS record *.${config.PREVIEW_DOMAIN} pointing at the host running Traefik`));
    return out;
  }
  try {
    const scheme = config.TRAEFIK_TLS ? 'https' : 'http';
    const { status, body } = await deps.httpGet(`${scheme}://${address}/`, probe);
    out.push(status === 404 && body.includes('404 page not found') ? pass('Traefik', `answers for ${probe} (no router: 404, as expected)`) : fail('Traefik', `${probe} answered ${status}, not Traefik's 404`, 'run Traefik (docker-compose.yml) with the docker provider on the edge network'));
  } catch (error) {
    out.push(fail('Traefik', `nothing answers on ${address}: ${message(error)}`, 'run Traefik (docker compose up -d traefik), publishing port 80 (443 with TRAEFIK_TLS)'));
  }
  return out;
}

export async function checkDisk(deps: DoctorDeps): Promise<CheckResult[]> {
  try {
    const stats = await statfs(deps.dataRoot);
    const free = (stats.bavail * stats.bsize) / GIB;
    return [free >= MIN_FREE_GIB ? pass('Disk', `${free.toFixed(1)} GiB free for images at ${deps.dataRoot}`) : fail('Disk', `only ${free.toFixed(1)} GiB free at ${deps.dataRoot}`, `free at least ${MIN_FREE_GIB} GiB (docker image prune removes unused images)`)];
  } catch (error) {
    return [fail('Disk', `cannot read ${deps.dataRoot}: ${message(error)}`, 'set DOCKER_DATA_ROOT to where Docker keeps images')];
  }
}

/** Every check, in order. `ok` only when all pass (the exit code of `helvetia doctor`). */
export async function runChecks(deps: DoctorDeps): Promise<{ ok: boolean; results: CheckResult[] }> {
  const results: CheckResult[] = [];
  for (const group of [checkRedis, checkDocker, checkGitHub, checkReachability, checkDisk]) results.push(...(await group(deps)));
  return { ok: results.every((r) => r.ok), results };
}

export const formatResult = (r: CheckResult): string => `${r.ok ? '✓' : '✗'} ${r.name}: ${r.detail}${r.fix ? `\n    fix: ${r.fix}` : ''}`;
