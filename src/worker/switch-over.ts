import { randomBytes } from 'node:crypto';
import type { ContainerSummary } from '../docker/engine.js';
import { environmentFilters, LABEL } from '../docker/labels.js';
import { dockerMessage } from './deploy-errors.js';
import { joinRelay, relaysToRetire, type HandoffRelay } from './handoff-relay.js';
import type { RunInput } from './run-step.js';

/** The name a previous live container takes when it hands the environment's name on. */
const retiredName = (alias: string) => `${alias}--retired-${randomBytes(3).toString('hex')}`;
const isRetired = (name: string, alias: string) => name.startsWith(`${alias}--retired-`);
const isRelay = (c: ContainerSummary) => c.labels[LABEL.role] === 'relay';

/**
 * The new container answers. On the edge network an environment's live container is the one
 * *named* like the environment's alias (dockerd's DNS resolves container names there), so the
 * switch is two renames: the previous holder takes a retiring name, the new container takes the
 * environment's. Nothing changes on the network: the previous container keeps its address and
 * finishes what it serves (Traefik routes by address and keeps it until it stops, README), new
 * lookups find only the new one, and no connection waits on a vanished address. For the instant
 * between the two renames, the hand-off relay (handoff-relay.ts) answers to the name as well.
 * Containers from before this scheme hold the alias as a network alias: they leave it the old way
 * (leaveAlias). When something outside the environment holds the name, the new container takes
 * the alias as a network alias instead. The Redis records follow: they are not on a request's path.
 */
export async function switchOver(input: RunInput, containerId: string, alias: string, relay?: HandoffRelay): Promise<ContainerSummary[]> {
  const { identity, engine, config, log } = input;
  const previous = (await engine.listContainers(environmentFilters(identity.instance, identity.repository, identity.environment))).filter((c) => c.id !== containerId);
  const holder = previous.find((c) => c.name === alias);
  if (holder) {
    if (relay) await joinRelay(input, relay, alias);
    await engine.renameContainer(holder.id, retiredName(alias));
  } else if (relay) await engine.removeContainer(relay.id);
  try {
    await engine.renameContainer(containerId, alias);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    log.step(`the name ${alias} is taken outside this environment (${dockerMessage(error)}): the new container answers to it as a network alias`);
    await engine.disconnectNetwork(containerId, config.EDGE_NETWORK);
    await engine.connectNetwork(containerId, config.EDGE_NETWORK, { aliases: [alias] });
  }
  // A stopped one (the recreate strategy) answers nothing; a retired one left the name already.
  await leaveAlias(input, previous.filter((c) => c !== holder && c.state === 'running' && !isRetired(c.name, alias)));
  await input.state.setLive(identity.repository, identity.environment, containerId, identity.sha);
  await input.state.touch(identity.repository, identity.environment);
  const relays = (await engine.listContainers(environmentFilters(identity.instance, identity.repository, identity.environment, 'relay'))).filter(isRelay);
  return [...previous, ...relaysToRetire(relays, config.EDGE_NETWORK, relay)];
}

/**
 * Containers from before the naming scheme: takes them out of the environment's network alias
 * without cutting the requests they are serving. dockerd drops an alias only with the whole endpoint, so each container leaves the
 * network and rejoins at once at the same address, without the alias: connections to that address
 * resume (TCP retransmits across the gap; engines that derive the MAC from the address keep it too),
 * new lookups find only the new container. All leave first, then all rejoin: the alias moves in
 * one step however many there are.
 * dockerd grants a fixed address only on a network created with a subnet; on any other the old
 * container stays out, and requests in flight to it are cut (the log says so).
 */
async function leaveAlias({ engine, config, log }: RunInput, serving: ContainerSummary[]): Promise<void> {
  await Promise.all(serving.map((old) => engine.disconnectNetwork(old.id, config.EDGE_NETWORK)));
  await Promise.all(
    serving.map(async (old) => {
      const address = old.addresses[config.EDGE_NETWORK];
      if (!address) return;
      try {
        await engine.connectNetwork(old.id, config.EDGE_NETWORK, { ipv4: address });
      } catch (error) {
        log.step(`previous container ${old.name} left ${config.EDGE_NETWORK} and could not rejoin at ${address}, so requests in flight to it are cut: ${dockerMessage(error)}`);
      }
    }),
  );
}

/**
 * A relay stays this long after leaving the name, whatever DRAIN_SECONDS: a connection whose SYN
 * was lost while it left and rejoined retries after 1 s (Linux's initial retransmission timeout),
 * and must find it there.
 */
const RELAY_LINGER_MS = 3000;

/** Lets in-flight requests to the previous containers drain, then stops and removes them and their images (except those `spare` keeps for rollback). */
export async function retire(input: RunInput, previous: ContainerSummary[], spare: (image: string) => Promise<boolean> = async () => false): Promise<void> {
  const { engine, config, log } = input;
  // The relays leave the name first: what they carry then drains with the rest.
  await leaveAlias(input, previous.filter((c) => isRelay(c) && c.addresses[config.EDGE_NETWORK]));
  const relaysLeft = Date.now();
  const serving = previous.filter((c) => c.state === 'running');
  if (serving.length > 0 && config.DRAIN_SECONDS > 0) {
    log.step(`draining ${serving.length} previous container(s) for ${config.DRAIN_SECONDS}s`);
    await sleep(config.DRAIN_SECONDS * 1000);
  }
  for (const old of previous.filter((c) => !isRelay(c))) {
    log.step(`removing previous container ${old.name}`);
    await engine.stopContainer(old.id, 10);
    await engine.removeContainer(old.id);
    if (old.image !== input.image && !(await spare(old.image))) await engine.removeImage(old.image);
  }
  const relays = previous.filter(isRelay);
  if (relays.length) await sleep(relaysLeft + RELAY_LINGER_MS - Date.now());
  // A relay's nc (PID 1) ignores SIGTERM: it is only removed.
  for (const relay of relays) await engine.removeContainer(relay.id);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
