import { randomBytes } from 'node:crypto';
import { hardenedHostConfig } from '../docker/container-spec.js';
import type { ContainerSummary } from '../docker/engine.js';
import { environmentFilters, ownershipLabels } from '../docker/labels.js';
import { dockerMessage } from './deploy-errors.js';
import type { RunInput } from './run-step.js';

/**
 * The hand-off relay covers the instant between the switch's two renames, when no container has
 * the environment's name. Container names are exclusive, so the previous holder must give the name
 * up before the new container can take it; a network alias is not, but dockerd drops one only with
 * the whole endpoint, which would stall what the holder is serving. So a throwaway container takes
 * the overlap: a TCP relay (busybox `nc` from PROBE_IMAGE, one process per connection) to the new
 * container's address. It is started while the new container is health-checked and then leaves
 * the edge network; at the switch it joins under the environment's name as a network alias
 * (one connect, about 50 ms), so lookups find the holder and the relay, then the relay alone, then
 * the relay and the new container: never nothing. In retire it leaves the alias the way
 * pre-scheme containers do (rejoining at its address), drains, and goes.
 */
export interface HandoffRelay {
  id: string;
  name: string;
}

/**
 * Starts the relay to the new container when a running container holds the environment's name
 * (no holder: nothing to overlap). Undefined, with a log line, when it cannot: the switch then
 * goes without it.
 */
export async function prepareRelay(input: RunInput, containerId: string, alias: string): Promise<HandoffRelay | undefined> {
  const { identity, engine, config, log } = input;
  const environment = await engine.listContainers(environmentFilters(identity.instance, identity.repository, identity.environment));
  if (!environment.some((c) => c.name === alias && c.state === 'running')) return undefined;
  const address = environment.find((c) => c.id === containerId)?.addresses[config.EDGE_NETWORK];
  if (!address) return undefined;
  const name = `${alias}--handoff-${randomBytes(3).toString('hex')}`;
  const port = String(input.repoConfig.port);
  let id: string | undefined;
  try {
    id = await engine.createContainer({
      name,
      Image: config.PROBE_IMAGE,
      Labels: ownershipLabels(identity, 'relay'),
      Entrypoint: ['nc', '-ll', '-p', port, '-e', 'nc', address, port],
      Cmd: [],
      HostConfig: { ...hardenedHostConfig({ memoryMb: 64, cpus: 0.5, pidsLimit: 512 }, config.EDGE_NETWORK), RestartPolicy: { Name: 'no' } },
    });
    await engine.startContainer(id);
    // Listening already; off the network until the switch.
    await engine.disconnectNetwork(id, config.EDGE_NETWORK);
    if (!(await engine.inspectContainer(id))?.running) throw new Error(`its nc exited at once: ${config.PROBE_IMAGE} needs nc with -ll and -e`);
    return { id, name };
  } catch (error) {
    log.step(`no hand-off relay (${dockerMessage(error)}): a lookup of ${alias} in the instant between the switch's two renames can fail`);
    if (id) await engine.removeContainer(id);
    return undefined;
  }
}

/** At the switch: the relay answers to the environment's name (a log line when it cannot: the switch goes on). */
export async function joinRelay(input: RunInput, relay: HandoffRelay, alias: string): Promise<void> {
  try {
    await input.engine.connectNetwork(relay.id, input.config.EDGE_NETWORK, { aliases: [alias] });
  } catch (error) {
    input.log.step(`the hand-off relay ${relay.name} could not join (${dockerMessage(error)}): a lookup of ${alias} in the instant between the switch's two renames can fail`);
  }
}

/**
 * The relays that retire with the previous containers after a switch: those on the edge network
 * (this switch's; one a worker killed mid-switch left answering to the name), and those older than
 * this switch's relay that never joined (a worker killed during the health check left them). A
 * relay younger than this one belongs to a newer deploy, still health-checking: it stays.
 */
export function relaysToRetire(relays: ContainerSummary[], network: string, own?: HandoffRelay): ContainerSummary[] {
  const mine = relays.find((r) => r.id === own?.id);
  return relays.filter((r) => r.addresses[network] || (mine && r.id !== mine.id && r.created <= mine.created));
}
