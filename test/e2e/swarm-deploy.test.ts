/**
 * DEPLOY_BACKEND=swarm end to end: a real three-node Swarm (three dockerd in their own network
 * namespaces, VXLAN overlay between them) with Debian's docker-registry, the bot's app and worker
 * processes against the GitHub double, and the worker reaching the manager only through
 * `helvetia proxy` in its swarm profile. The test itself talks to the nodes directly (probes,
 * faults). Each environment is a service; answers are checked from probe containers on another node.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createDockerClient } from '../../src/docker/docker-client.js';
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { StatsStore } from '../../src/history/environment-stats.js';
import { TaskStatsSampler } from '../../src/history/task-stats-sampler.js';
import { DeployState } from '../../src/worker/deploy-state.js';
import { BotUnderTest } from '../helpers/bot-processes.js';
import { runCli, startCli } from '../helpers/processes.js';
import { statefulSite } from '../helpers/stateful-site.js';
import { environmentId } from '../../src/services/environment-objects.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { runInNetwork } from '../helpers/docker.js';
import { randomSha } from '../helpers/pipeline.js';
import { staticSite } from '../helpers/site-fixtures.js';
import { SwarmCluster } from '../helpers/swarm-cluster.js';
import { deliver, pullRequestPayload, pushPayload } from '../helpers/webhooks.js';

const OWNER = 'hvtest';
const REPO = `swarm-${randomBytes(3).toString('hex')}`;
const FULL = `${OWNER}/${REPO}`;
const INSTALLATION = 91;
const ALIAS = `${REPO}--${OWNER}`;
const REPLICAS = 2;

/** The static site with `replicas` in .helvetia.yml; `healthy: false` makes its HEALTHCHECK always fail. */
function site(body: string, healthy = true): Record<string, string> {
  const files: Record<string, string> = { ...staticSite(body), '.helvetia.yml': `replicas: ${REPLICAS}\n` };
  if (!healthy) files.Dockerfile = files.Dockerfile!.replace(/HEALTHCHECK .*/, 'HEALTHCHECK --interval=1s --timeout=1s --retries=2 CMD exit 1');
  return files;
}

describe('DEPLOY_BACKEND=swarm: every environment a Swarm service (three dockerd, a registry, the bot behind its proxy)', () => {
  const cluster = new SwarmCluster();
  let bot: BotUnderTest;
  let sealKey = '';
  const send = (event: string, payload: unknown) => deliver(bot.baseUrl, event, payload, { secret: bot.secret });
  const label = () => ({ 'hvtest.tmp': bot.prefix });
  /** One HTTP request to `host` from a container on node `index`, over the overlay. */
  const probe = async (index: number, host = ALIAS) =>
    (await runInNetwork(cluster.node(index).docker, bot.network, ['sh', '-c', `timeout 5 wget -q -O- http://${host}:8080/ 2>&1 || echo NOANSWER`], label())).output.trim();
  const concluded = async (sha: string, conclusion: string) => {
    await expect.poll(() => bot.github.checkRuns({ sha }).map((c) => c.state.conclusion), { timeout: 150_000, interval: 250 }).toContain(conclusion);
    return bot.github.checkRuns({ sha }).find((c) => c.state.conclusion === conclusion)!;
  };
  const push = async (body: string, healthy = true) => {
    const sha = randomSha();
    bot.github.addCommit(OWNER, REPO, sha, site(body, healthy));
    expect((await send('push', pushPayload({ owner: OWNER, repo: REPO, sha, installationId: INSTALLATION }))).status).toBe(200);
    return sha;
  };
  const service = async (name = ALIAS) => (await cluster.manager.docker.getService(name).inspect()) as { ID: string; Spec: any };
  const runningTasks = async (name = ALIAS) =>
    ((await cluster.manager.docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })) as { NodeID: string; Status: { State: string } }[]).filter((t) => t.Status.State === 'running');
  /** A container on node `index` asking the app every 100 ms until stopped; its log: one line per request. */
  const startProber = async (index: number): Promise<Docker.Container> => {
    const container = await cluster.node(index).docker.createContainer({
      Image: 'helvetia-base:latest', Labels: label(), HostConfig: { NetworkMode: bot.network },
      Cmd: ['sh', '-c', `while :; do timeout 2 wget -q -O- http://${ALIAS}:8080/ 2>/dev/null || echo FAILED; sleep 0.1; done`],
    });
    await container.start();
    return container;
  };
  const stopProber = async (container: Docker.Container) => {
    const log = ((await container.logs({ stdout: true, stderr: true })) as Buffer).toString('utf8');
    await container.remove({ force: true });
    return log;
  };

  beforeAll(async () => {
    await cluster.start();
    for (const node of cluster.nodes) await cluster.loadImage('helvetia-base:latest', node.index);
    // The companion image is on the builder nodes only: the worker mirrors it to the registry.
    for (const index of [0, 1]) await cluster.loadImage('helvetia-redis:7', index);
    const keys = await runCli(['keys', 'generate'], {});
    sealKey = /^SEAL_PRIVATE_KEY=(\S+)$/m.exec(keys.stdout)![1]!;
    bot = new BotUnderTest(
      'e2e-swarm',
      { DEPLOY_BACKEND: 'swarm', REGISTRY_URL: cluster.registry, HEALTH_TIMEOUT_SECONDS: '90', STATS_INTERVAL_SECONDS: '1', SWARM_NODE_ID: cluster.manager.nodeId },
      {
        docker: cluster.manager.docker,
        createEdge: false,
        proxyEnv: { PROXY_PROFILE: 'swarm', SERVICES: '1', TASKS: '1', NODES: '1', DOCKER_SOCKET: cluster.manager.socket, REGISTRY_URL: cluster.registry },
      },
    );
    await bot.start({ SEAL_PRIVATE_KEY: sealKey });
  }, 300_000);

  afterAll(async () => {
    await bot?.stop();
    await cluster.destroy();
  }, 300_000);

  it('push → a service of the image by digest from the registry, answering over the overlay from another node', async () => {
    const sha = await push('version 1');
    const check = await concluded(sha, 'success');
    expect(check.state.output.title).toMatch(/^Deployed to http/);
    const spec = (await service()).Spec;
    expect(spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${cluster.registry.replace(/\./g, '\\.')}/helvetia/${ALIAS}@sha256:[0-9a-f]{64}$`));
    expect(spec.Labels).toMatchObject({ 'cloud.helvetia.repository': FULL, 'cloud.helvetia.environment': 'production', 'traefik.swarm.network': bot.network, [`traefik.http.services.helvetia-${ALIAS}.loadbalancer.server.port`]: '8080' });
    expect(spec.UpdateConfig).toMatchObject({ Order: 'start-first', FailureAction: 'rollback' });
    expect(spec.TaskTemplate.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
    expect(await runningTasks()).toHaveLength(REPLICAS);
    expect(await probe(2)).toBe('version 1');
    // Nothing the worker asked for was refused (a 404 for a service not created yet is an answer, not a refusal).
    expect(bot.proxy.decisions().filter((d) => d.decision === 'deny' && d.rule !== 'not-found')).toEqual([]);
  });

  it('live CPU and memory: each node\'s worker samples the tasks on its node, and the dashboard\'s figure adds the nodes up', async () => {
    // The bot's worker sits on the manager and samples the tasks there (STATS_INTERVAL_SECONDS=1);
    // the other two nodes get a sampler each through their own proxy, as their workers would.
    const stats = new StatsStore(bot.redis, bot.prefix);
    const proxies = await Promise.all([1, 2].map((i) => startProxyProcess({ DOCKER_SOCKET: cluster.node(i).socket, EDGE_NETWORK: bot.network, PROXY_OWNER_SECRET: bot.proxy.ownerSecret })));
    try {
      const state = new DeployState(bot.redis, bot.prefix);
      for (const [n, proxy] of proxies.entries()) {
        const sampler = new TaskStatsSampler({ engine: new DockerodeEngine(createDockerClient(proxy.dockerHost)), state, stats, logger: pino({ level: 'silent' }), instance: bot.prefix, node: `node-${n + 1}` });
        await sampler.tick();
      }
      const tasks = await runningTasks();
      const onManager = tasks.filter((t) => t.NodeID === cluster.manager.nodeId).length;
      // The manager's share comes from the worker process itself; the total covers every task.
      await expect.poll(async () => (await stats.get(FULL, 'production'))?.tasks, { timeout: 15_000 }).toBe(REPLICAS);
      const sample = (await stats.get(FULL, 'production'))!;
      expect(sample.memoryBytes).toBeGreaterThan(0);
      expect(sample.memoryLimitBytes).toBeGreaterThan(0);
      const parts = await bot.redis.hkeys(`${bot.prefix}:stats:parts`);
      expect(parts.filter((f) => f.startsWith(`${FULL}@production|`) && !/\|node-[12]$/.test(f))).toHaveLength(onManager > 0 ? 1 : 0);
    } finally {
      await Promise.all(proxies.map((p) => p.process.stop()));
    }
  });

  it('second push → a rolling update (start-first) with no failed request on the way', async () => {
    const prober = await startProber(1);
    await expect.poll(async () => ((await prober.logs({ stdout: true })) as Buffer).toString(), { timeout: 20_000 }).toContain('version 1');
    const sha = await push('version 2');
    await concluded(sha, 'success');
    await expect.poll(() => probe(2), { timeout: 20_000 }).toBe('version 2');
    const log = await stopProber(prober);
    expect(log).toContain('version 2');
    expect(log).not.toContain('FAILED');
  });

  it('an image whose HEALTHCHECK fails → Swarm rolls back, the old version keeps serving, the check fails with the task\'s error', async () => {
    const sha = await push('never healthy', false);
    const check = await concluded(sha, 'failure');
    expect(check.state.output.title).toBe('Swarm did not run the new version');
    expect(check.state.output.summary).toMatch(/rolled the service back to the previous version: .*unhealthy/);
    expect(await probe(2)).toBe('version 2');
    expect((await service()).Spec.TaskTemplate.ContainerSpec.Labels['cloud.helvetia.sha']).not.toBe(sha);
  });

  it('a worker on a non-manager node builds there, pushes to the registry and deploys through the manager\'s proxy', async () => {
    const builderProxy = await startProxyProcess({ DOCKER_SOCKET: cluster.node(1).socket, REGISTRY_URL: cluster.registry, EDGE_NETWORK: bot.network, PROXY_OWNER_SECRET: bot.proxy.ownerSecret });
    await bot.worker.stop();
    const builder = startCli(['worker'], { ...bot.env, DOCKER_HOST: builderProxy.dockerHost, SWARM_MANAGER_HOST: bot.proxy.dockerHost, SWARM_NODE_ID: cluster.node(1).nodeId });
    try {
      const sha = await push('version 3');
      await concluded(sha, 'success');
      const image = `helvetia/${ALIAS}:${sha}`;
      const builtOn = await Promise.all(cluster.nodes.map((n) => n.docker.getImage(image).inspect().then(() => true, () => false)));
      expect(builtOn).toEqual([false, true, false]);
      expect(await probe(2)).toBe('version 3');
      expect(builderProxy.decisions().filter((d) => d.rule === 'images.push' && d.decision === 'allow')).toHaveLength(1);
    } finally {
      await builder.stop();
      await builderProxy.process.stop();
      bot.worker = startCli(['worker'], bot.env);
    }
  });

  it('a pull request preview is its own service; closing the pull request removes it', async () => {
    const sha = randomSha();
    bot.github.addCommit(OWNER, REPO, sha, site('preview 7'));
    bot.github.pulls.set(`${FULL}#7`, { state: 'open', headSha: sha, headRepo: FULL, baseRepo: FULL });
    expect((await send('pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 7, sha, installationId: INSTALLATION }))).status).toBe(200);
    await concluded(sha, 'success');
    expect(await probe(1, `pr-7--${ALIAS}`)).toBe('preview 7');
    expect((await service(`pr-7--${ALIAS}`)).Spec.Labels['cloud.helvetia.environment']).toBe('pr-7');
    bot.github.pulls.set(`${FULL}#7`, { state: 'closed', headSha: sha, headRepo: FULL, baseRepo: FULL });
    expect((await send('pull_request', pullRequestPayload({ action: 'closed', owner: OWNER, repo: REPO, number: 7, sha, installationId: INSTALLATION }))).status).toBe(200);
    await expect.poll(async () => (await cluster.manager.docker.listServices({ filters: { name: [`pr-7--${ALIAS}`] } })).length, { timeout: 60_000 }).toBe(0);
    // Its tasks' containers are gone on every node too.
    await expect.poll(async () => {
      const counts = await Promise.all(cluster.nodes.map(async (n) => (await n.docker.listContainers({ all: true, filters: { label: ['cloud.helvetia.environment=pr-7'] } })).length));
      return counts.reduce((a, b) => a + b, 0);
    }, { timeout: 60_000 }).toBe(0);
    expect(await probe(2)).toBe('version 3');
  });

  it('a preview with a database and volumes: companions are services pinned to the deploying worker\'s node; closing it removes them, the overlay and (through that node\'s worker) the volumes there', async () => {
    // The worker on node 1 deploys: the environment is pinned there, where its proxy creates the volumes.
    const builderProxy = await startProxyProcess({ DOCKER_SOCKET: cluster.node(1).socket, REGISTRY_URL: cluster.registry, EDGE_NETWORK: bot.network, PROXY_OWNER_SECRET: bot.proxy.ownerSecret });
    const builderEnv = { ...bot.env, DOCKER_HOST: builderProxy.dockerHost, SWARM_MANAGER_HOST: bot.proxy.dockerHost, SWARM_NODE_ID: cluster.node(1).nodeId };
    await bot.worker.stop();
    let builder = startCli(['worker'], builderEnv);
    let managerWorker = false;
    const host = `pr-9--${ALIAS}`;
    const envId = environmentId({ instance: bot.prefix, repository: FULL, environment: 'pr-9' });
    const volumesOn = async (index: number) =>
      ((await cluster.node(index).docker.listVolumes({ filters: { label: [`cloud.helvetia.repository=${FULL}`, 'cloud.helvetia.environment=pr-9'] } })).Volumes ?? []).map((v) => v.Name).sort();
    try {
      const sha = randomSha();
      bot.github.addCommit(OWNER, REPO, sha, statefulSite({ label: 'stateful 9' }));
      bot.github.pulls.set(`${FULL}#9`, { state: 'open', headSha: sha, headRepo: FULL, baseRepo: FULL });
      expect((await send('pull_request', pullRequestPayload({ action: 'opened', owner: OWNER, repo: REPO, number: 9, sha, installationId: INSTALLATION }))).status).toBe(200);
      const check = await concluded(sha, 'success');
      expect(check.state.output.summary).toMatch(/db/);
      const pin = `node.id==${cluster.node(1).nodeId}`;
      const db = await service(`helvetia-${envId}-db`);
      expect(db.Spec.TaskTemplate.Placement.Constraints).toEqual([pin]);
      expect(db.Spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${cluster.registry.replace(/\./g, '\\.')}/helvetia/services/helvetia-redis@sha256:`));
      expect(db.Spec.UpdateConfig.Order).toBe('stop-first');
      expect((await service(host)).Spec.TaskTemplate.Placement.Constraints).toEqual([pin]);
      // Data goes through the app into the database service and the uploads volume; release and seed ran once.
      const get = async (path: string) =>
        (await runInNetwork(cluster.node(2).docker, bot.network, ['sh', '-c', `timeout 8 wget -q -O- "http://${host}:8080${path}" 2>&1 || echo NOANSWER`], label())).output.trim();
      expect(await get('/cgi-bin/write?kept-9')).toBe('written');
      expect(await get('/cgi-bin/read')).toMatch(/^key=kept-9 file=kept-9 seeds=1 migrations=1 token=[0-9a-f]{12}$/);
      // Swarm leaves a finished job's stopped container behind; the node's worker removes it.
      const jobContainers = async () =>
        (await Promise.all(cluster.nodes.map(async (n) => (await n.docker.listContainers({ all: true, filters: { label: ['cloud.helvetia.environment=pr-9'] } })).filter((c) => ['task', 'probe'].includes(c.Labels['cloud.helvetia.role']!))))).flat();
      await expect.poll(async () => (await jobContainers()).length, { timeout: 60_000, interval: 1000 }).toBe(0);
      // The volumes are on node 1 only, named in the owner's namespace.
      const onNode1 = await volumesOn(1);
      expect(onNode1).toHaveLength(2);
      for (const name of onNode1) expect(name).toMatch(new RegExp(`^hv[0-9a-f]{16}-${envId}-(redisdata|uploads)$`));
      expect([...(await volumesOn(0)), ...(await volumesOn(2))]).toEqual([]);
      expect(builderProxy.decisions().filter((d) => d.decision === 'deny' && d.rule !== 'not-found')).toEqual([]);
      expect(bot.proxy.decisions().filter((d) => d.decision === 'deny' && d.rule !== 'not-found')).toEqual([]);

      // Closed while node 1 has no worker: the manager's worker tears down and leaves the volumes to node 1's.
      await builder.stop();
      bot.worker = startCli(['worker'], bot.env);
      managerWorker = true;
      bot.github.pulls.set(`${FULL}#9`, { state: 'closed', headSha: sha, headRepo: FULL, baseRepo: FULL });
      expect((await send('pull_request', pullRequestPayload({ action: 'closed', owner: OWNER, repo: REPO, number: 9, sha, installationId: INSTALLATION }))).status).toBe(200);
      await expect.poll(async () => (await cluster.manager.docker.listServices({ filters: { label: ['cloud.helvetia.environment=pr-9'] } })).length, { timeout: 60_000 }).toBe(0);
      await expect.poll(async () => (await cluster.manager.docker.listNetworks({ filters: { name: [`helvetia-env-${envId}`] } })).length, { timeout: 60_000 }).toBe(0);
      await expect.poll(async () => bot.redis.hget(`${bot.prefix}:swarm:pins`, `${FULL}@pr-9`), { timeout: 60_000 }).toBeNull();
      // Nothing else can remove them: the chore waits in Redis for node 1's worker.
      expect(await volumesOn(1)).toHaveLength(2);
      builder = startCli(['worker'], builderEnv);
      await expect.poll(() => volumesOn(1), { timeout: 90_000, interval: 1000 }).toEqual([]);
      // Nor did the finished jobs (release, seed, the database's TCP probe) leave containers behind on any node.
      const leftovers = await Promise.all(cluster.nodes.map(async (n) => (await n.docker.listContainers({ all: true, filters: { label: ['cloud.helvetia.environment=pr-9'] } })).map((c) => c.Names[0])));
      expect(leftovers.flat()).toEqual([]);
      // Production, not pinned (no volumes), still serves.
      expect(await probe(2)).toMatch(/^version \d$/);
    } finally {
      await builder.stop();
      await builderProxy.process.stop();
      if (!managerWorker) bot.worker = startCli(['worker'], bot.env);
      mkdirSync('test-artifacts', { recursive: true });
      writeFileSync('test-artifacts/e2e-swarm-node1-worker.log', builder.output());
    }
  });

  it('draining a node moves its tasks and the app keeps answering', async () => {
    const nodeOf = new Map(cluster.nodes.map((n) => [n.nodeId, n.index]));
    const busy = (await runningTasks()).map((t) => nodeOf.get(t.NodeID)!).find((i) => i !== 0)!;
    expect(busy).toBeDefined();
    const prober = await startProber(0);
    await cluster.drain(busy);
    await expect.poll(async () => (await runningTasks()).filter((t) => nodeOf.get(t.NodeID) !== busy).length, { timeout: 60_000, interval: 500 }).toBe(REPLICAS);
    const log = await stopProber(prober);
    expect(log).toContain('version 3');
    expect(log).not.toContain('FAILED');
    await cluster.setAvailability(busy, 'active');
  });

  it('a worker node\'s dockerd stopped → its task is rescheduled and answering again within 30 s', async () => {
    const nodeOf = new Map(cluster.nodes.map((n) => [n.nodeId, n.index]));
    const victim = (await runningTasks()).map((t) => nodeOf.get(t.NodeID)!).find((i) => i !== 0)!;
    expect(victim).toBeDefined();
    const stoppedAt = Date.now();
    await cluster.stopNode(victim);
    await expect.poll(async () => (await runningTasks()).filter((t) => nodeOf.get(t.NodeID) !== victim).length, { timeout: 30_000, interval: 500 }).toBe(REPLICAS);
    const survivor = cluster.nodes.find((n) => n.index !== victim && n.index !== 0)!.index;
    expect(await probe(survivor)).toBe('version 3');
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
  });
});
