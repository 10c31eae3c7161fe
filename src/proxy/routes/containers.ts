import { checkContainerCreate } from '../body-policy/container-create.js';
import { checkExecCreate } from '../body-policy/exec.js';
import { containerUpdate } from './container-update.js';
import { NONE, STREAM, ownedFilter, param, pick, planOf, policyContext, withSegment } from './common.js';
import type { JsonValue } from '../json-strict.js';
import { ID, TRAEFIK, path, type Authorize, type BodyPlan, type Route, type RouteInput } from './types.js';

/** Any /containers/{id}/... operation: the container must be ours; the path then names its ID. */
const owned =
  (body: BodyPlan = NONE): Authorize =>
  async (input) => {
    const id = await input.ownership.container(param(input, 0));
    return withSegment(planOf(input, body), 1, id);
  };

const ownedJson =
  (check: (body: JsonValue, input: RouteInput) => BodyPlan): Authorize =>
  async (input) => {
    const id = await input.ownership.container(param(input, 0));
    return withSegment(planOf(input, check(await input.readJson(), input)), 1, id);
  };

const create: Authorize = async (input) => {
  const ctx = policyContext(input);
  const value = checkContainerCreate(await input.readJson(), ctx);
  await input.ownership.refs(ctx.refs);
  // The answer names the new container, labelled ours just above: later requests by that ID skip the inspect.
  return planOf(input, { kind: 'json', value }, { query: pick(input.target.query, ['name', 'platform']), observe: input.ownership.owned.createObserver() });
};

const C = '/containers/' + ID;

export const containerRoutes: Route[] = [
  { name: 'containers.list', section: 'CONTAINERS', methods: ['GET'], pattern: path('/containers/json'), profiles: TRAEFIK, authorize: ownedFilter(['all', 'limit', 'size']) },
  { name: 'containers.create', section: 'CONTAINERS', methods: ['POST'], pattern: path('/containers/create'), authorize: create },
  { name: 'containers.prune', section: 'CONTAINERS', methods: ['POST'], pattern: path('/containers/prune'), authorize: ownedFilter([]) },
  { name: 'containers.inspect', section: 'CONTAINERS', methods: ['GET'], pattern: path(`${C}/json`), profiles: TRAEFIK, authorize: owned() },
  { name: 'containers.read', section: 'CONTAINERS', methods: ['GET'], pattern: path(`${C}/(?:top|logs|changes|export|stats)`), authorize: owned() },
  { name: 'containers.archive', section: 'CONTAINERS', methods: ['GET', 'HEAD'], pattern: path(`${C}/archive`), authorize: owned() },
  { name: 'containers.archive-put', section: 'CONTAINERS', methods: ['PUT'], pattern: path(`${C}/archive`), authorize: owned(STREAM) },
  { name: 'containers.start', section: 'CONTAINERS', methods: ['POST'], pattern: path(`${C}/start`), openedBy: ['ALLOW_START'], authorize: owned() },
  { name: 'containers.stop', section: 'CONTAINERS', methods: ['POST'], pattern: path(`${C}/stop`), openedBy: ['ALLOW_STOP', 'ALLOW_RESTARTS'], authorize: owned() },
  { name: 'containers.restart', section: 'CONTAINERS', methods: ['POST'], pattern: path(`${C}/(?:restart|kill)`), openedBy: ['ALLOW_RESTARTS'], authorize: owned() },
  { name: 'containers.control', section: 'CONTAINERS', methods: ['POST'], pattern: path(`${C}/(?:pause|unpause|wait|resize|rename)`), authorize: owned() },
  // Owned containers, or (PidsLimit only) step containers of builds this proxy relays.
  { name: 'containers.update', section: 'CONTAINERS', methods: ['POST'], pattern: path(`${C}/update`), authorize: containerUpdate },
  { name: 'containers.attach', section: 'CONTAINERS', methods: ['POST'], pattern: path(`${C}/attach`), upgrade: true, authorize: owned(STREAM) },
  { name: 'containers.attach-ws', section: 'CONTAINERS', methods: ['GET'], pattern: path(`${C}/attach/ws`), upgrade: true, authorize: owned() },
  { name: 'containers.remove', section: 'CONTAINERS', methods: ['DELETE'], pattern: path(C), authorize: owned() },
  { name: 'exec.create', section: 'EXEC', methods: ['POST'], pattern: path(`${C}/exec`), authorize: ownedJson((b, i) => ({ kind: 'json', value: checkExecCreate(b, policyContext(i)) })) },
];
