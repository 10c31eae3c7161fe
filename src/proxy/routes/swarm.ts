import { atLeast, formatApiVersion } from '../api-version.js';
import { checkServiceSpec } from '../body-policy/service-spec.js';
import type { ServicePolicy } from '../body-policy/swarm-container-spec.js';
import { PolicyError } from '../errors.js';
import { queryOne } from '../query.js';
import { NONE, ownedFilter, param, pass, pick, planOf, policyContext, withSegment } from './common.js';
import { ID, SWARM_AND_TRAEFIK, SWARM_ONLY, path, type Authorize, type Route, type RouteInput } from './types.js';

/**
 * Below Engine API 1.41 dockerd drops CapabilityAdd/Drop, Ulimits and the pids limit from a spec
 * without a word (its version adjustment): CapDrop ALL and the limits would not hold.
 */
const servicePolicy = async (input: RouteInput): Promise<ServicePolicy> => {
  const apiVersion = await input.apiVersion.of(input.target.version);
  if (!atLeast(apiVersion, 1, 41)) {
    throw new PolicyError('api-version', `services need Engine API 1.41 or newer (got ${formatApiVersion(apiVersion)}): older versions drop CapabilityDrop, Ulimits and the pids limit`);
  }
  return { images: input.config, apiVersion };
};

/**
 * Create: the spec passes the service policy, the networks it names are owned overlays (or the
 * edge network). X-Registry-Auth travels on as a header, for pulling from REGISTRY_URL.
 */
const create: Authorize = async (input) => {
  const ctx = policyContext(input);
  const value = checkServiceSpec(await input.readJson(), ctx, await servicePolicy(input));
  await input.ownership.refs(ctx.refs);
  return planOf(input, { kind: 'json', value }, { query: [] });
};

/**
 * Update: an owned service, a spec that passes the same policy. `version` is the optimistic lock;
 * registryAuthFrom only picks which credentials pull; rollback=previous returns to the previous
 * spec, which passed this policy when it was applied (every spec of an owned service came this way).
 */
const update: Authorize = async (input) => {
  const id = await input.ownership.service(param(input, 0));
  const ctx = policyContext(input);
  const value = checkServiceSpec(await input.readJson(), ctx, await servicePolicy(input));
  await input.ownership.refs(ctx.refs);
  const from = queryOne(input.target.query, 'registryAuthFrom');
  if (from !== undefined && !['spec', 'previous-value'].includes(from)) throw new PolicyError('query', 'registryAuthFrom must be spec or previous-value');
  const rollback = queryOne(input.target.query, 'rollback');
  if (rollback !== undefined && rollback !== 'previous') throw new PolicyError('query', 'rollback must be previous');
  return withSegment(planOf(input, { kind: 'json', value }, { query: pick(input.target.query, ['version', 'registryAuthFrom', 'rollback']) }), 1, id);
};

/** Any /services/{id}... read or removal: the service must carry this proxy's token; the path then names its ID. */
const ownedService =
  (query: readonly string[]): Authorize =>
  async (input) =>
    withSegment(planOf(input, NONE, { query: pick(input.target.query, query) }), 1, await input.ownership.service(param(input, 0)));

/** A task is read through its service. */
const ownedTask =
  (query: readonly string[]): Authorize =>
  async (input) =>
    withSegment(planOf(input, NONE, { query: pick(input.target.query, query) }), 1, await input.ownership.task(param(input, 0)));

const LOG_QUERY = ['details', 'follow', 'stdout', 'stderr', 'since', 'timestamps', 'tail'];
const S = '/services/' + ID;

/**
 * PROXY_PROFILE=swarm only (the reads also in Traefik's profile with its swarm flags). Lists are
 * filtered to owned services by label, and tasks by their service's labels (dockerd matches a task
 * list's label filter against the service's labels). Nodes are not owned by anyone: readable as is.
 * Never here: swarm init/join/leave/update/unlock, node update/remove, secrets, configs, plugins.
 */
export const swarmRoutes: Route[] = [
  { name: 'services.list', section: 'SERVICES', methods: ['GET'], pattern: path('/services'), profiles: SWARM_AND_TRAEFIK, authorize: ownedFilter(['status']) },
  { name: 'services.create', section: 'SERVICES', methods: ['POST'], pattern: path('/services/create'), profiles: SWARM_ONLY, authorize: create },
  { name: 'services.inspect', section: 'SERVICES', methods: ['GET'], pattern: path(S), profiles: SWARM_AND_TRAEFIK, authorize: ownedService(['insertDefaults']) },
  { name: 'services.update', section: 'SERVICES', methods: ['POST'], pattern: path(`${S}/update`), profiles: SWARM_ONLY, authorize: update },
  { name: 'services.remove', section: 'SERVICES', methods: ['DELETE'], pattern: path(S), profiles: SWARM_ONLY, authorize: ownedService([]) },
  { name: 'services.logs', section: 'SERVICES', methods: ['GET'], pattern: path(`${S}/logs`), profiles: SWARM_ONLY, authorize: ownedService(LOG_QUERY) },
  { name: 'tasks.list', section: 'TASKS', methods: ['GET'], pattern: path('/tasks'), profiles: SWARM_AND_TRAEFIK, authorize: ownedFilter([]) },
  { name: 'tasks.inspect', section: 'TASKS', methods: ['GET'], pattern: path(`/tasks/${ID}`), profiles: SWARM_ONLY, authorize: ownedTask([]) },
  { name: 'tasks.logs', section: 'TASKS', methods: ['GET'], pattern: path(`/tasks/${ID}/logs`), profiles: SWARM_ONLY, authorize: ownedTask(LOG_QUERY) },
  { name: 'nodes.list', section: 'NODES', methods: ['GET'], pattern: path('/nodes'), profiles: SWARM_AND_TRAEFIK, authorize: pass },
  { name: 'nodes.inspect', section: 'NODES', methods: ['GET'], pattern: path(`/nodes/${ID}`), profiles: SWARM_AND_TRAEFIK, authorize: pass },
];
