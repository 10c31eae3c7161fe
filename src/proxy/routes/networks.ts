import { checkNetworkConnect, checkNetworkCreate, checkNetworkDisconnect } from '../body-policy/network.js';
import { checkVolumeCreate } from '../body-policy/volume.js';
import { ownedFilter, param, pass, planOf, policyContext, traefikOr, withSegment } from './common.js';
import { ID, TRAEFIK, path, type Authorize, type Route } from './types.js';

const createNetwork: Authorize = async (input) =>
  planOf(input, { kind: 'json', value: checkNetworkCreate(await input.readJson(), policyContext(input), input.config.profile === 'swarm') });

/**
 * The worker sees its own networks; Traefik's swarm provider maps every task's network attachments
 * to names, the operator's edge network included, so its read-only profile lists them all (names,
 * drivers and subnets; nothing it could change).
 */
const listNetworks = traefikOr(pass, ownedFilter([]));

/** Connect: the container must be ours; the network ours or allowlisted. Both travel as IDs. */
const connect: Authorize = async (input) => {
  const body = checkNetworkConnect(await input.readJson(), param(input, 0), policyContext(input));
  const [network, container] = await Promise.all([
    input.ownership.network(param(input, 0), 'use'),
    input.ownership.container(String(body.Container)),
  ]);
  return withSegment(planOf(input, { kind: 'json', value: { ...body, Container: container } }), 1, network);
};

/** Disconnect: only our containers, from any network (the worker leaves the operator's edge network). */
const disconnect: Authorize = async (input) => {
  const body = checkNetworkDisconnect(await input.readJson(), policyContext(input));
  const container = await input.ownership.container(String(body.Container));
  return planOf(input, { kind: 'json', value: { ...body, Container: container } });
};

const removeNetwork: Authorize = async (input) => withSegment(planOf(input), 1, await input.ownership.network(param(input, 0), 'own'));

const createVolume: Authorize = async (input) =>
  planOf(input, { kind: 'json', value: checkVolumeCreate(await input.readJson(), policyContext(input)) });

const removeVolume: Authorize = async (input) => withSegment(planOf(input), 1, await input.ownership.volume(param(input, 0)));

export const networkRoutes: Route[] = [
  { name: 'networks.list', section: 'NETWORKS', methods: ['GET'], pattern: path('/networks'), profiles: TRAEFIK, authorize: listNetworks },
  { name: 'networks.create', section: 'NETWORKS', methods: ['POST'], pattern: path('/networks/create'), authorize: createNetwork },
  { name: 'networks.prune', section: 'NETWORKS', methods: ['POST'], pattern: path('/networks/prune'), authorize: ownedFilter([]) },
  { name: 'networks.inspect', section: 'NETWORKS', methods: ['GET'], pattern: path(`/networks/${ID}`), authorize: pass },
  { name: 'networks.connect', section: 'NETWORKS', methods: ['POST'], pattern: path(`/networks/${ID}/connect`), authorize: connect },
  { name: 'networks.disconnect', section: 'NETWORKS', methods: ['POST'], pattern: path(`/networks/${ID}/disconnect`), authorize: disconnect },
  { name: 'networks.remove', section: 'NETWORKS', methods: ['DELETE'], pattern: path(`/networks/${ID}`), authorize: removeNetwork },
  { name: 'volumes.list', section: 'VOLUMES', methods: ['GET'], pattern: path('/volumes'), authorize: ownedFilter([]) },
  { name: 'volumes.create', section: 'VOLUMES', methods: ['POST'], pattern: path('/volumes/create'), authorize: createVolume },
  { name: 'volumes.prune', section: 'VOLUMES', methods: ['POST'], pattern: path('/volumes/prune'), authorize: ownedFilter([]) },
  { name: 'volumes.inspect', section: 'VOLUMES', methods: ['GET'], pattern: path(`/volumes/${ID}`), authorize: pass },
  { name: 'volumes.remove', section: 'VOLUMES', methods: ['DELETE'], pattern: path(`/volumes/${ID}`), authorize: removeVolume },
];
