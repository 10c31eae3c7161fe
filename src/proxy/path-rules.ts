import type { Flags, ProxyConfig } from './config.js';
import { PolicyError } from './errors.js';
import { containerRoutes } from './routes/containers.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import { swarmRoutes } from './routes/swarm.js';
import { systemRoutes } from './routes/system.js';
import { DEFAULT_PROFILES, type Method, type Route } from './routes/types.js';

/** Every endpoint the proxy knows. Anything else is refused, whatever the flags say. */
export const ROUTES: readonly Route[] = [...systemRoutes, ...containerRoutes, ...imageRoutes, ...networkRoutes, ...swarmRoutes];

const READ_METHODS: readonly string[] = ['GET', 'HEAD'];

export interface RouteMatch {
  route: Route;
  params: string[];
}

/**
 * Maps flags to allowed routes, like tecnativa: the section flag opens a route, POST=0 leaves only
 * GET/HEAD, and ALLOW_START/ALLOW_STOP/ALLOW_RESTARTS open their endpoints on their own.
 * `path` is the decoded, normalized path without the version prefix.
 */
export function matchRoute(method: string, path: string, config: Pick<ProxyConfig, 'flags' | 'profile'>): RouteMatch {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (!route.methods.includes(method as Method)) continue;
    checkOpen(route, method, config.flags, config.profile);
    return { route, params: m.slice(1) };
  }
  if (pathMatched) throw new PolicyError('method', `${method} ${path} is not an allowed Docker API call`);
  throw new PolicyError('endpoint', `${path} is not a Docker API endpoint the proxy allows`);
}

function checkOpen(route: Route, method: string, flags: Flags, profile: ProxyConfig['profile']): void {
  if (!(route.profiles ?? DEFAULT_PROFILES).includes(profile)) {
    const why =
      profile === 'traefik' ? 'is not part of the read-only traefik profile'
      : route.profiles?.includes('swarm') ? 'needs PROXY_PROFILE=swarm'
      : `is refused with PROXY_PROFILE=${profile}`;
    throw new PolicyError('profile', `${route.name} ${why}`);
  }
  if (route.openedBy?.some((flag) => flags[flag])) return;
  if (!flags[route.section]) {
    throw new PolicyError('flag', `${route.name} needs ${route.section}=1${route.openedBy ? ` (or ${route.openedBy.join('/')}=1)` : ''}`);
  }
  if (!READ_METHODS.includes(method) && (!flags.POST || profile === 'traefik')) {
    throw new PolicyError('flag-post', `${method} ${route.name} needs POST=1 (only GET and HEAD are open)`);
  }
}
