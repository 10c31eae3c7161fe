import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { deepFreeze, flagVar, intVar, parseEnv } from '../config/parse-env.js';
import { OwnerTokens } from './labels.js';
import { applyProfile, type Profile } from './profile-flags.js';
import { parseRegistry } from '../config/registry-url.js';
import { checkWorkspaceDir } from './workspace.js';

/** tecnativa/docker-socket-proxy's flags, same names and defaults (EVENTS, PING, VERSION on). */
export const FLAG_DEFAULTS = {
  CONTAINERS: false,
  IMAGES: false,
  BUILD: false,
  NETWORKS: false,
  VOLUMES: false,
  EXEC: false,
  POST: false,
  ALLOW_START: false,
  ALLOW_STOP: false,
  ALLOW_RESTARTS: false,
  EVENTS: true,
  PING: true,
  VERSION: true,
  INFO: false,
  SERVICES: false,
  SWARM: false,
  NODES: false,
  TASKS: false,
  SECRETS: false,
  CONFIGS: false,
  PLUGINS: false,
  SYSTEM: false,
  DISTRIBUTION: false,
  SESSION: false,
  AUTH: false,
  COMMIT: false,
} as const;

export type FlagName = keyof typeof FLAG_DEFAULTS;
export type Flags = Readonly<Record<FlagName, boolean>>;
export const FLAG_NAMES = Object.keys(FLAG_DEFAULTS) as FlagName[];

export { TRAEFIK_FLAGS, type Profile } from './profile-flags.js';

/** Capabilities Docker grants by default; CapAdd may re-add these after CapDrop ALL, nothing else. */
export const DEFAULT_CAP_ADD_ALLOW = [
  'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP',
] as const;

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

const schema = z.object({
  PROXY_LISTEN: z
    .string()
    .regex(/^((\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):\d{1,5}|unix:\/[^\0]+)$/, { error: 'must be host:port (e.g. 0.0.0.0:2375) or unix:/absolute/path.sock' })
    .default('0.0.0.0:2375'),
  DOCKER_SOCKET: z.string().regex(/^\//, { error: 'must be an absolute path to the Docker socket' }).default('/var/run/docker.sock'),
  PROXY_PROFILE: z.enum(['default', 'traefik', 'swarm'], { error: 'must be default, traefik or swarm' }).default('default'),
  WORKSPACE_DIR: z.string().default('/tmp/helvetia-workspaces'),
  EDGE_NETWORK: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/).default('helvetia-edge'),
  PROXY_ALLOWED_NETWORKS: z.string().optional(),
  PROXY_CAP_ADD_ALLOW: z.string().optional(),
  PROXY_IMAGE_PREFIXES: z.string().default('helvetia/'),
  REGISTRY_URL: z.string().optional(),
  PROXY_OWNER_SECRET: z
    .string({ error: 'is required: the secret ownership labels are derived from (at least 32 characters, e.g. `openssl rand -hex 32`; the same value for both proxies)' })
    .min(32, { error: 'must be at least 32 characters (e.g. `openssl rand -hex 32`)' })
    .refine((v) => !v.includes('${'), { error: 'looks like an uninterpolated compose expression; set PROXY_OWNER_SECRET in .env' }),
  PROXY_MAX_BODY_BYTES: intVar(1_048_576, 1024, 64 * 1_048_576),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  ...(Object.fromEntries(FLAG_NAMES.map((f) => [f, flagVar(FLAG_DEFAULTS[f])])) as Record<FlagName, ReturnType<typeof flagVar>>),
});

export interface ProxyConfig {
  /** TCP host and port, or a unix socket path (PROXY_LISTEN=unix:/path: only who can open the path reaches the proxy). */
  listen: { host: string; port: number } | { path: string };
  dockerSocket: string;
  profile: Profile;
  flags: Flags;
  /** The one host directory a container may bind-mount, read-only; null disables host binds. */
  workspaceDir: string | null;
  /** Networks not created through the proxy that owned containers may join (the operator's edge network). */
  allowedNetworks: readonly string[];
  capAddAllow: readonly string[];
  /** Image names builds, tags and commits may write (so no other service's image name can be seeded). */
  imagePrefixes: readonly string[];
  /**
   * The cluster's registry (host[:port], from REGISTRY_URL), or null: the only place images may be
   * pushed to, and where service images come from (as <registry>/<prefix>…@sha256:…).
   */
  registry: string | null;
  maxBodyBytes: number;
  logLevel: string;
  /**
   * Ownership tokens derived from PROXY_OWNER_SECRET (the secret itself is not kept). Never logged;
   * they are not secret from the bot (its objects show them) but from images and containers made
   * elsewhere, which could otherwise carry a forged ownership label.
   */
  owner: OwnerTokens;
}

function listenOf(value: string): ProxyConfig['listen'] {
  if (value.startsWith('unix:')) return { path: value.slice('unix:'.length) };
  const [, host = '', port = ''] = /^\[?(.*?)\]?:(\d+)$/.exec(value) ?? [];
  if (Number(port) > 65535) throw new ConfigError([{ variable: 'PROXY_LISTEN', message: 'port must be at most 65535' }]);
  return { host, port: Number(port) };
}

/** Reads the proxy's environment once at boot; throws ConfigError naming the variable. */
export function loadProxyConfig(env: Record<string, string | undefined> = process.env): Readonly<ProxyConfig> {
  const data = parseEnv(schema, env);
  const flags = Object.fromEntries(FLAG_NAMES.map((f) => [f, data[f]])) as Record<FlagName, boolean>;
  applyProfile(data.PROXY_PROFILE, flags, env);
  const listen = listenOf(data.PROXY_LISTEN);
  const capAddAllow = data.PROXY_CAP_ADD_ALLOW === undefined ? [...DEFAULT_CAP_ADD_ALLOW] : list(data.PROXY_CAP_ADD_ALLOW);
  const badCap = capAddAllow.find((c) => !/^[A-Z_]+$/.test(c) || c === 'ALL' || c.startsWith('CAP_'));
  if (badCap !== undefined) {
    throw new ConfigError([{ variable: 'PROXY_CAP_ADD_ALLOW', message: `${badCap} is not a capability name like NET_BIND_SERVICE` }]);
  }
  const allowedNetworks = data.PROXY_ALLOWED_NETWORKS === undefined ? [data.EDGE_NETWORK] : list(data.PROXY_ALLOWED_NETWORKS);
  const badNet = allowedNetworks.find((n) => ['host', 'none', 'default'].includes(n) || n.includes(':'));
  if (badNet !== undefined) {
    throw new ConfigError([{ variable: 'PROXY_ALLOWED_NETWORKS', message: `${badNet} cannot be allowed (host/none/container namespaces)` }]);
  }
  const imagePrefixes = list(data.PROXY_IMAGE_PREFIXES);
  const badPrefix = imagePrefixes.find((p) => !/^[a-z0-9][a-z0-9._/-]*$/.test(p));
  if (badPrefix !== undefined || imagePrefixes.length === 0) {
    throw new ConfigError([{ variable: 'PROXY_IMAGE_PREFIXES', message: `${badPrefix ?? '(empty)'} is not an image name prefix such as helvetia/` }]);
  }
  return deepFreeze({
    listen,
    dockerSocket: data.DOCKER_SOCKET,
    profile: data.PROXY_PROFILE,
    flags,
    workspaceDir: checkWorkspaceDir(data.WORKSPACE_DIR, data.DOCKER_SOCKET),
    allowedNetworks,
    capAddAllow,
    imagePrefixes,
    registry: parseRegistry(data.REGISTRY_URL),
    maxBodyBytes: data.PROXY_MAX_BODY_BYTES,
    logLevel: data.LOG_LEVEL,
    owner: new OwnerTokens(data.PROXY_OWNER_SECRET),
  });
}
