import type { Config } from '../config/load-config.js';
import type { DockerEngine } from '../docker/engine.js';
import { LABEL } from '../docker/labels.js';
import type { Logger } from '../logger.js';

/** docker-compose.yml's edge subnet: a configured subnet lets a replaced container rejoin at its address. */
export const EDGE_SUBNET = '10.201.0.0/20';

/**
 * Outside docker compose nothing creates the edge network, and every deploy would fail: the worker
 * creates it at boot when it is missing, with the compose subnet when the Docker endpoint allows
 * one (helvetia proxy allows default address management only: then without, and it says so).
 */
export async function ensureEdgeNetwork(engine: DockerEngine, config: Config, logger: Logger): Promise<void> {
  if (await engine.networkExists(config.EDGE_NETWORK)) return;
  const labels = { [LABEL.managed]: 'true', [LABEL.instance]: config.QUEUE_PREFIX, [LABEL.role]: 'edge' };
  if (config.DEPLOY_BACKEND === 'swarm') {
    // Swarm: an attachable overlay every node's tasks (and Traefik) join; Swarm picks the subnet.
    await engine.createNetwork(config.EDGE_NETWORK, labels, { internal: false, overlay: true });
    logger.info({ network: config.EDGE_NETWORK }, 'created the missing edge overlay network');
    return;
  }
  try {
    await engine.createNetwork(config.EDGE_NETWORK, labels, { internal: false, subnet: EDGE_SUBNET });
    logger.info({ network: config.EDGE_NETWORK, subnet: EDGE_SUBNET }, 'created the missing edge network');
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== 403 && status !== 400) throw error;
    await engine.createNetwork(config.EDGE_NETWORK, labels, { internal: false });
    logger.warn({ network: config.EDGE_NETWORK }, `created the missing edge network without a fixed subnet (${(error as Error).message}); replaced containers cannot drain in-flight requests: create it yourself with --subnet ${EDGE_SUBNET} for that`);
  }
}
