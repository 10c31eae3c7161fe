import type { ContainerSummary } from '../docker/engine.js';
import { LABEL, ownedFilters } from '../docker/labels.js';
import { dockerMessage } from './deploy-errors.js';
import type { RunInput } from './run-step.js';

/** Labels selecting every app container of one environment. */
export function environmentFilters(instance: string, repository: string, environment: string): string[] {
  return ownedFilters(instance, { [LABEL.repository]: repository, [LABEL.environment]: environment, [LABEL.role]: 'app' });
}

/**
 * The new container answers: it rejoins the edge network under the environment's alias (it was
 * probed there under its own name only), then the previous ones leave the alias together (new
 * lookups find only the new one) while they finish what they are serving. Traefik routes by
 * address, so it keeps a previous container as a server until it stops (README). The Redis records
 * follow once the alias has moved: they are not on the path of a request.
 */
export async function switchOver(input: RunInput, containerId: string, alias: string): Promise<ContainerSummary[]> {
  const { identity, engine, config } = input;
  const previous = (await engine.listContainers(environmentFilters(identity.instance, identity.repository, identity.environment))).filter((c) => c.id !== containerId);
  await engine.disconnectNetwork(containerId, config.EDGE_NETWORK);
  await engine.connectNetwork(containerId, config.EDGE_NETWORK, { aliases: [alias] });
  // A stopped one (the recreate strategy) answers nothing: it only waits to be removed.
  await leaveAlias(input, previous.filter((c) => c.state === 'running'));
  await input.state.setLive(identity.repository, identity.environment, containerId, identity.sha);
  await input.state.touch(identity.repository, identity.environment);
  return previous;
}

/**
 * Takes the previous containers out of the environment's alias without cutting the requests they
 * are serving. dockerd drops an alias only with the whole endpoint, so each container leaves the
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

/** Lets in-flight requests to the previous containers drain, then stops and removes them and their images (except those `spare` keeps for rollback). */
export async function retire(input: RunInput, previous: ContainerSummary[], spare: (image: string) => Promise<boolean> = async () => false): Promise<void> {
  const { engine, config, log } = input;
  const serving = previous.filter((c) => c.state === 'running');
  if (serving.length > 0 && config.DRAIN_SECONDS > 0) {
    log.step(`draining ${serving.length} previous container(s) for ${config.DRAIN_SECONDS}s`);
    await new Promise((resolve) => setTimeout(resolve, config.DRAIN_SECONDS * 1000));
  }
  for (const old of previous) {
    log.step(`removing previous container ${old.name}`);
    await engine.stopContainer(old.id, 10);
    await engine.removeContainer(old.id);
    if (old.image !== input.image && !(await spare(old.image))) await engine.removeImage(old.image);
  }
}
