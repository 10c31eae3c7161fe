import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadConfig } from '../../config/load-config.js';
import { createDockerClient } from '../../docker/docker-client.js';
import { DockerodeEngine } from '../../docker/dockerode-engine.js';
import { hardenedHostConfig } from '../../docker/container-spec.js';
import { LABEL, ownedFilters } from '../../docker/labels.js';
import { UsageError } from '../../secrets/cli/usage.js';
import { SERVICE_LABEL } from '../environment-objects.js';

export const VOLUMES_USAGE = `usage (on the server: it reads the same environment as helvetia worker, DOCKER_HOST among it):
  helvetia volumes list owner/name [ENV]                 the environments' volumes (ENV: production, pr-<n>)
  helvetia volumes backup owner/name ENV VOLUME > x.tar  a tar of the volume's files on stdout
  helvetia volumes restore owner/name ENV VOLUME < x.tar replaces the volume's files with the tar's; the
                                                         environment's containers are stopped meanwhile`;

const MOUNT = '/volume';

/**
 * `helvetia volumes`: an environment's named volumes, backed up and restored through a one-off
 * owned container (PROBE_IMAGE, no network) that mounts the volume, over Docker's archive API,
 * so it works through helvetia proxy like everything else the bot does.
 */
export async function volumesCommand(argv: string[], env: NodeJS.ProcessEnv, stdin: NodeJS.ReadableStream, out: NodeJS.WritableStream): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [verb, repository, environment, volume] = positionals;
  if (!['list', 'backup', 'restore'].includes(verb ?? '') || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository ?? '')) throw new UsageError('give list, backup or restore, and owner/name');
  const config = loadConfig(env);
  const engine = new DockerodeEngine(createDockerClient(config.DOCKER_HOST));
  const filters = ownedFilters(config.QUEUE_PREFIX, { [LABEL.repository]: repository!, [LABEL.role]: 'volume', ...(environment ? { [LABEL.environment]: environment } : {}) });
  if (verb === 'list') {
    for (const v of await engine.listVolumes(filters)) out.write(`${v.labels[LABEL.environment]}\t${v.labels[SERVICE_LABEL.volume]}\t${v.name}\n`);
    return;
  }
  if (!environment || !volume) throw new UsageError(`${verb} needs ENV and VOLUME`);
  // By its label, not its name: on a Swarm node the name is in the owner's namespace (README "Scaling out").
  const name = (await engine.listVolumes(filters)).find((v) => v.labels[SERVICE_LABEL.volume] === volume)?.name;
  if (!name) throw new Error(`${repository} ${environment} has no volume ${volume}${config.DEPLOY_BACKEND === 'swarm' ? ' on this node (a swarm environment\'s volumes are on the node it is pinned to)' : ''}`);
  const running = verb === 'restore' ? (await engine.listContainers(ownedFilters(config.QUEUE_PREFIX, { [LABEL.repository]: repository!, [LABEL.environment]: environment }))).filter((c) => c.state === 'running') : [];
  const helper = await engine.createContainer({
    name: `helvetia-volume-${verb}-${randomBytes(4).toString('hex')}`,
    Image: config.PROBE_IMAGE,
    // restore: empty the volume first (the files may belong to the service's own user).
    Entrypoint: ['sh', '-c'],
    Cmd: [verb === 'restore' ? `rm -rf ${MOUNT}/..?* ${MOUNT}/.[!.]* ${MOUNT}/*` : 'true'],
    Labels: { [LABEL.managed]: 'true', [LABEL.instance]: config.QUEUE_PREFIX, [LABEL.repository]: repository!, [LABEL.environment]: environment, [LABEL.role]: 'task' },
    HostConfig: {
      ...hardenedHostConfig({ memoryMb: 64, cpus: 0.5, pidsLimit: 32 }, 'none'),
      CapAdd: verb === 'restore' ? ['DAC_OVERRIDE', 'FOWNER'] : [],
      RestartPolicy: { Name: 'no' },
      Mounts: [{ Type: 'volume', Source: name, Target: MOUNT, ReadOnly: verb === 'backup' }],
    },
  });
  try {
    if (verb === 'backup') {
      await pipeline(await engine.getArchive(helper, `${MOUNT}/.`), out);
      return;
    }
    // The environment's containers stop while its data is replaced, and start again after.
    for (const c of running) await engine.stopContainer(c.id, 10);
    try {
      await engine.startContainer(helper);
      const code = await engine.waitContainer(helper);
      if (code !== 0) throw new Error(`emptying the volume failed (exit ${code}): ${await engine.containerLogs(helper, 20)}`);
      await engine.putArchive(helper, MOUNT, stdin as Readable);
    } finally {
      for (const c of running) await engine.startContainer(c.id);
    }
    process.stderr.write(`restored ${volume} of ${repository} ${environment}${running.length ? `; restarted ${running.map((c) => c.name).join(', ')}` : ''}\n`);
  } finally {
    await engine.removeContainer(helper);
  }
}
