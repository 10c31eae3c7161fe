import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { freePort, startCli, waitForHttp, type RunningProcess } from './processes.js';

const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));

/** One decision line of the proxy's log (pino JSON, msg "docker api"). */
export interface ProxyDecision {
  method: string;
  path: string;
  client: string;
  decision: 'allow' | 'deny' | 'error';
  rule: string;
  status: number;
}

interface ComposeService {
  environment?: Record<string, unknown>;
  healthcheck?: { test?: string[] };
}

/** One service of docker-compose.yml, as parsed from the file. */
export function composeService(name: string): ComposeService {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, ComposeService> };
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}

/**
 * The environment docker-compose.yml gives `service` (the worker's `docker-proxy` by default), read
 * from the file itself so tests and deployment cannot drift apart.
 */
export function composeProxyEnv(service = 'docker-proxy'): Record<string, string> {
  const environment = composeService(service).environment;
  if (!environment) throw new Error(`docker-compose.yml has no environment for service ${service}`);
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)]));
}

/** Parses the proxy's stdout into its decision lines (other log lines are skipped). */
export function proxyDecisions(output: string): ProxyDecision[] {
  const out: ProxyDecision[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as Partial<ProxyDecision> & { msg?: string };
      if (entry.msg === 'docker api' && typeof entry.decision === 'string') out.push(entry as ProxyDecision);
    } catch {
      // a partial line while the process still writes
    }
  }
  return out;
}

export interface ProxyProcess {
  process: RunningProcess;
  /** tcp://127.0.0.1:<port>, for the DOCKER_HOST of the bot's processes. */
  dockerHost: string;
  /** The PROXY_OWNER_SECRET it runs with (OwnerTokens derives the labels of what it owns). */
  ownerSecret: string;
  decisions(): ProxyDecision[];
}

/**
 * `helvetia proxy` as a child process on 127.0.0.1:<free port> in front of the real socket, with the
 * compose file's flags for `service`; `extra` adds what the test setup needs (e.g. its edge network).
 * PROXY_OWNER_SECRET (compose interpolates it from .env) is a fresh random one unless `extra` gives it.
 */
export async function startProxyProcess(extra: Record<string, string> = {}, service = 'docker-proxy'): Promise<ProxyProcess> {
  const port = await freePort();
  const env = {
    ...composeProxyEnv(service),
    PROXY_LISTEN: `127.0.0.1:${port}`,
    DOCKER_SOCKET: '/var/run/docker.sock',
    PROXY_OWNER_SECRET: randomBytes(32).toString('hex'),
    ...extra,
  };
  const child = startCli(['proxy'], env);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/_ping`);
  } catch (error) {
    await child.stop();
    throw new Error(`helvetia proxy did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return { process: child, dockerHost: `tcp://127.0.0.1:${port}`, ownerSecret: env.PROXY_OWNER_SECRET, decisions: () => proxyDecisions(child.output()) };
}
