import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { parseRegistry } from './registry-url.js';
import { deepFreeze, flagVar, intVar, parseEnv } from './parse-env.js';
import { LOG_CONFIG_VARIABLES, loadLogConfig, type LogConfig } from '../logs/log-config.js';
import { loadSealConfig, type SealConfig } from '../secrets/seal-config.js';
import { DEFAULT_WORKER_NICE } from '../worker/priority.js';

/** Docker's default capabilities: the most a companion service may add back. */
const SAFE_CAPS = new Set(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP']);

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const httpUrl = z
  .string({ error: 'is required' })
  .url({ error: 'must be an absolute http(s) URL' })
  .refine((v) => /^https?:\/\//.test(v), { error: 'must start with http:// or https://' })
  .transform((v) => v.replace(/\/+$/, ''));

const schema = z.object({
  APP_ID: z.string({ error: 'is required' }).regex(/^\d+$/, { error: 'must be the numeric GitHub App id' }),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string({ error: 'is required' }).min(8, { error: 'must be at least 8 characters' }),
  PORT: intVar(3000, 1, 65535),
  HOST: z.string().default('0.0.0.0'),
  GHE_HOST: z
    .string()
    .regex(/^[a-zA-Z0-9.-]+(:\d{1,5})?$/, { error: 'must be a host name with an optional :port' })
    .optional(),
  GHE_PROTOCOL: z.enum(['http', 'https'], { error: 'must be http or https' }).default('https'),
  REDIS_URL: z
    .string({ error: 'is required' })
    .regex(/^rediss?:\/\//, { error: 'must be a redis:// or rediss:// URL' }),
  DOCKER_HOST: z
    .string()
    .regex(/^(unix|tcp|http):\/\//, { error: 'must be unix://, tcp:// or http://' })
    .default('unix:///var/run/docker.sock'),
  PREVIEW_DOMAIN: z
    .string({ error: 'is required' })
    .transform((v) => v.toLowerCase())
    .refine((v) => DNS_NAME.test(v), { error: 'must be a DNS domain such as preview.example.com' }),
  APP_BASE_URL: httpUrl,
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  EDGE_NETWORK: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/).default('helvetia-edge'),
  PROBE_IMAGE: z.string().default('busybox:1.36'),
  TRAEFIK_ENTRYPOINT: z.string().regex(/^[a-zA-Z0-9_-]+$/).default('web'),
  TRAEFIK_TLS: flagVar(false),
  /** OAuth credentials of the GitHub App (the manifest flow writes them): dashboard sign-in. */
  GITHUB_CLIENT_ID: z.string().optional(),
  GITHUB_CLIENT_SECRET: z.string().optional(),
  /** How long a dashboard sign-in lasts (hours); the user's GitHub token is kept server-side for as long. */
  DASHBOARD_SESSION_HOURS: intVar(8, 1, 168),
  /** With it set, GET /metrics (app and worker) needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /** The worker's own small HTTP port for /metrics and /healthz; 0 (the default) turns it off. */
  WORKER_METRICS_PORT: intVar(0, 0, 65535),
  WORKER_CONCURRENCY: intVar(2, 1, 64),
  WORKER_LOCK_SECONDS: intVar(30, 2, 3600),
  /** Nice value of a separate `helvetia worker` process (not `start`, which shares the app's process). */
  WORKER_NICE: intVar(DEFAULT_WORKER_NICE, 0, 19),
  QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/, { error: 'must be letters, digits, _ or -' }).default('helvetia'),
  BUILD_TIMEOUT_SECONDS: intVar(900, 5, 7200),
  BUILD_MEMORY_MB: intVar(2048, 64, 65536),
  BUILD_CPUS: z.coerce.number({ error: 'must be a number' }).positive().max(64).default(1),
  BUILD_LOG_MAX_BYTES: intVar(5_000_000, 10_000, 500_000_000),
  /** 0: off. Applied by updating each RUN step's container (helvetia proxy allows exactly that, on the builds it relays). */
  BUILD_PIDS_LIMIT: intVar(512, 0, 65536),
  /** What a repository's source may cost: compressed download, inflated size, tar entries. */
  SOURCE_MAX_BYTES: intVar(100 * 1024 * 1024, 1024, 8 * 1024 * 1024 * 1024),
  SOURCE_MAX_INFLATED_BYTES: intVar(512 * 1024 * 1024, 1024, 16 * 1024 * 1024 * 1024),
  SOURCE_MAX_ENTRIES: intVar(100_000, 10, 10_000_000),
  RUN_MEMORY_MB: intVar(512, 16, 65536),
  RUN_CPUS: z.coerce.number({ error: 'must be a number' }).positive().max(64).default(0.5),
  RUN_PIDS_LIMIT: intVar(256, 16, 65536),
  CONTAINER_PORT: intVar(8080, 1, 65535),
  HEALTH_TIMEOUT_SECONDS: intVar(60, 1, 3600),
  DRAIN_SECONDS: intVar(3, 0, 300),
  PREVIEW_TTL_HOURS: intVar(72, 1, 24 * 365),
  /** Successfully deployed images kept per environment for rollback without a build (previews keep their current one). */
  KEEP_IMAGES: intVar(3, 1, 50),
  /** How often the worker samples the live containers' CPU and memory for the dashboard (0: never). */
  STATS_INTERVAL_SECONDS: intVar(15, 0, 3600),
  PREVIEW_MAX_PER_REPO: intVar(10, 1, 1000),
  RECONCILE_INTERVAL_SECONDS: intVar(300, 5, 86400),
  /** Capabilities a companion service may add back after CapDrop ALL (Docker's default set at most). */
  SERVICE_CAP_ADD_ALLOWED: z
    .string()
    .default('CHOWN,SETUID,SETGID,DAC_OVERRIDE,FOWNER')
    .transform((v) => v.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean))
    .refine((caps) => caps.every((c) => SAFE_CAPS.has(c)), { error: `may list only ${[...SAFE_CAPS].join(', ')} (never SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE…)` }),
  /** docker (one host, the default) or swarm (every environment a Swarm service; README "Scaling out"). */
  DEPLOY_BACKEND: z.enum(['docker', 'swarm'], { error: 'must be docker or swarm' }).default('docker'),
  /** swarm: the cluster's registry (host[:port]); images are pushed there and deployed by digest. */
  REGISTRY_URL: z.string().optional(),
  /** swarm: registry credentials, sent to dockerd as X-Registry-Auth (push, service create and update); never logged. */
  REGISTRY_USERNAME: z.string().optional(),
  REGISTRY_PASSWORD: z.string().optional(),
  /** swarm: the manager's `helvetia proxy` (service calls); unset: DOCKER_HOST, when this worker runs on a manager. */
  SWARM_NODE_ID: z.string().regex(/^[a-z0-9]{25}$/, { error: 'must be a Swarm node id (25 characters a-z0-9, `docker node ls -q`; deploy/stack.yml sets "{{.Node.ID}}")' }).optional(),
  SWARM_MANAGER_HOST: z.string().regex(/^(unix|tcp|http):\/\//, { error: 'must be unix://, tcp:// or http://' }).optional(),
  /** Globs a companion service's image must match (comma list); unset: any image. */
  SERVICE_IMAGES: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(',').map((g) => g.trim()).filter(Boolean))),
});

export type Config = Readonly<
  Omit<z.infer<typeof schema>, 'PRIVATE_KEY' | 'PRIVATE_KEY_PATH'> & {
    privateKey: string;
    /** Base URL of the GitHub REST API (GHE double in tests). */
    githubApiUrl: string;
    /** Build-log settings (LOG_SIGNING_KEY, ALLOWED_ORIGINS, ...). */
    logs: LogConfig;
    /** Sealing keys for secrets (SEAL_PRIVATE_KEY, SEAL_PREVIOUS_KEYS). */
    seal: SealConfig;
  }
>;

function readPrivateKey(data: z.infer<typeof schema>): string {
  let key: string;
  let variable = 'PRIVATE_KEY';
  if (data.PRIVATE_KEY) {
    key = data.PRIVATE_KEY.replace(/\\n/g, '\n');
  } else if (data.PRIVATE_KEY_PATH) {
    variable = 'PRIVATE_KEY_PATH';
    try {
      key = readFileSync(data.PRIVATE_KEY_PATH, 'utf8');
    } catch (error) {
      throw new ConfigError([{ variable, message: `cannot read ${data.PRIVATE_KEY_PATH}: ${(error as Error).message}` }]);
    }
  } else {
    throw new ConfigError([{ variable: 'PRIVATE_KEY', message: 'is required (or set PRIVATE_KEY_PATH)' }]);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    throw new ConfigError([{ variable, message: 'must be a PEM private key (-----BEGIN ... PRIVATE KEY-----)' }]);
  }
  return key;
}

/** Every environment variable loadConfig reads (.env.example documents exactly these). */
export const CONFIG_VARIABLES = (): string[] =>
  [...new Set([...Object.keys(schema.shape), ...LOG_CONFIG_VARIABLES(), 'SEAL_PRIVATE_KEY', 'SEAL_PRIVATE_KEY_PATH', 'SEAL_PREVIOUS_KEYS'])].sort();

/** Reads and validates the whole configuration once at boot. Throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const data = parseEnv(schema, env);
  if (data.DEPLOY_BACKEND === 'swarm' && !data.REGISTRY_URL) {
    throw new ConfigError([{ variable: 'REGISTRY_URL', message: 'is required with DEPLOY_BACKEND=swarm: every node pulls the images from it' }]);
  }
  if (Boolean(data.REGISTRY_USERNAME) !== Boolean(data.REGISTRY_PASSWORD)) {
    throw new ConfigError([{ variable: data.REGISTRY_USERNAME ? 'REGISTRY_PASSWORD' : 'REGISTRY_USERNAME', message: 'must be set together with the other one' }]);
  }
  // host[:port], parsed as the proxy parses it (one .env serves both).
  const registry = parseRegistry(data.REGISTRY_URL);
  if (registry) data.REGISTRY_URL = registry;
  const privateKey = readPrivateKey(data);
  const logs = loadLogConfig(env);
  const seal = loadSealConfig(env);
  const { PRIVATE_KEY: _k, PRIVATE_KEY_PATH: _p, ...rest } = data;
  const githubApiUrl = rest.GHE_HOST ? `${rest.GHE_PROTOCOL}://${rest.GHE_HOST}/api/v3` : 'https://api.github.com';
  return deepFreeze({ ...rest, privateKey, githubApiUrl, logs, seal });
}
