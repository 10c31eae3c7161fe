import { ConfigError } from '../config/errors.js';
import type { FlagName } from './config.js';

export type Profile = 'default' | 'traefik' | 'swarm';

/** What the read-only Traefik instance opens; every other flag must stay off. */
export const TRAEFIK_FLAGS: readonly FlagName[] = ['CONTAINERS', 'EVENTS', 'VERSION', 'PING'];

/**
 * Read-only sections Traefik's swarm provider (providers.swarm) lists: owned services and tasks,
 * nodes, and networks (it maps a task's network attachments to names, the operator's edge network
 * included). Off unless set; POST stays off whatever happens.
 */
export const TRAEFIK_SWARM_FLAGS: readonly FlagName[] = ['SERVICES', 'TASKS', 'NODES', 'NETWORKS'];

/** Sections that only exist in the swarm profile: in the default profile they would open nothing. */
export const SWARM_SECTIONS: readonly FlagName[] = ['SERVICES', 'TASKS', 'NODES'];

/**
 * Never opened with PROXY_PROFILE=swarm: cluster management (GET /swarm shows the manager join
 * token), secrets and configs (other services' data), plugins (code running as root on every node).
 */
export const SWARM_REFUSED_FLAGS: readonly FlagName[] = ['SWARM', 'SECRETS', 'CONFIGS', 'PLUGINS'];

type Env = Record<string, string | undefined>;

/** Applies the profile's flag rules to the parsed flags (in place); throws ConfigError naming each bad flag. */
export function applyProfile(profile: Profile, flags: Record<FlagName, boolean>, env: Env): void {
  const names = Object.keys(flags) as FlagName[];
  const setOn = (f: FlagName): boolean => flags[f] && env[f] !== undefined;
  const refuse = (bad: FlagName[], message: string): void => {
    if (bad.length > 0) throw new ConfigError(bad.map((variable) => ({ variable, message })));
  };
  if (profile === 'traefik') {
    refuse(names.filter((f) => setOn(f) && !TRAEFIK_FLAGS.includes(f) && !TRAEFIK_SWARM_FLAGS.includes(f)), 'must stay off with PROXY_PROFILE=traefik (read-only profile)');
    const swarmReads = TRAEFIK_SWARM_FLAGS.filter(setOn);
    for (const f of names) flags[f] = TRAEFIK_FLAGS.includes(f) || swarmReads.includes(f);
  } else if (profile === 'swarm') {
    refuse(SWARM_REFUSED_FLAGS.filter(setOn), 'must stay off with PROXY_PROFILE=swarm (swarm management, secrets, configs and plugins are never opened)');
  } else {
    refuse(SWARM_SECTIONS.filter(setOn), 'opens nothing with PROXY_PROFILE=default: services, tasks and nodes need PROXY_PROFILE=swarm');
  }
}
