import { checkExecStart } from '../body-policy/exec.js';
import { checkAuth } from '../body-policy/misc.js';
import { NONE, ownedFilter, param, pass, planOf, policyContext } from './common.js';
import { DEFAULT_ONLY, ID, NAME, TRAEFIK, path, type Authorize, type Route } from './types.js';

/** Exec instances are checked through the container they run in. */
const ownedExec =
  (json: boolean): Authorize =>
  async (input) => {
    await input.ownership.exec(param(input, 0));
    if (!json || input.upgrade) return planOf(input, NONE);
    return planOf(input, { kind: 'json', value: checkExecStart(await input.readJson(), policyContext(input)) });
  };

const auth: Authorize = async (input) => planOf(input, { kind: 'json', value: checkAuth(await input.readJson(), policyContext(input)) });

/**
 * Read-only secret and config metadata (tecnativa's SECRETS/CONFIGS), default profile only: with
 * PROXY_PROFILE=swarm they describe a real cluster's secrets, and stay closed.
 */
const readOnly = (section: Route['section'], resource: string): Route[] => [
  { name: `${resource}.list`, section, methods: ['GET'], pattern: path(`/${resource}`), profiles: DEFAULT_ONLY, authorize: pass },
  { name: `${resource}.inspect`, section, methods: ['GET'], pattern: path(`/${resource}/${ID}`), profiles: DEFAULT_ONLY, authorize: pass },
];

export const systemRoutes: Route[] = [
  { name: 'ping', section: 'PING', methods: ['GET', 'HEAD'], pattern: path('/_ping'), profiles: TRAEFIK, authorize: pass },
  { name: 'version', section: 'VERSION', methods: ['GET'], pattern: path('/version'), profiles: TRAEFIK, authorize: pass },
  // Owned objects only: container events carry the container's labels (image, network and volume
  // events do not carry the object token, so they are filtered out).
  { name: 'events', section: 'EVENTS', methods: ['GET'], pattern: path('/events'), profiles: TRAEFIK, authorize: ownedFilter(['since', 'until']) },
  { name: 'info', section: 'INFO', methods: ['GET'], pattern: path('/info'), authorize: pass },
  { name: 'system.df', section: 'SYSTEM', methods: ['GET'], pattern: path('/system/df'), authorize: pass },
  { name: 'auth', section: 'AUTH', methods: ['POST'], pattern: path('/auth'), authorize: auth },
  { name: 'distribution', section: 'DISTRIBUTION', methods: ['GET'], pattern: path(`/distribution/${NAME}/json`), authorize: pass },
  { name: 'session', section: 'SESSION', methods: ['POST'], pattern: path('/session'), upgrade: true, authorize: pass },
  { name: 'exec.start', section: 'EXEC', methods: ['POST'], pattern: path(`/exec/${ID}/start`), upgrade: true, authorize: ownedExec(true) },
  { name: 'exec.resize', section: 'EXEC', methods: ['POST'], pattern: path(`/exec/${ID}/resize`), authorize: ownedExec(false) },
  { name: 'exec.inspect', section: 'EXEC', methods: ['GET'], pattern: path(`/exec/${ID}/json`), authorize: ownedExec(false) },
  // GET /swarm is not here in any profile: on a manager it answers the worker and manager join
  // tokens, i.e. the cluster itself. Services, tasks and nodes are in routes/swarm.ts.
  ...readOnly('SECRETS', 'secrets'),
  ...readOnly('CONFIGS', 'configs'),
  { name: 'plugins.list', section: 'PLUGINS', methods: ['GET'], pattern: path('/plugins'), profiles: DEFAULT_ONLY, authorize: pass },
  { name: 'plugins.inspect', section: 'PLUGINS', methods: ['GET'], pattern: path(`/plugins/${NAME}/json`), profiles: DEFAULT_ONLY, authorize: pass },
];
