/**
 * Swarm (issue: scale out on Docker Swarm). A real three-node cluster (three dockerd in their own
 * network namespaces, Debian's docker-registry), the bot's app process, and one `helvetia worker` +
 * `helvetia proxy` per builder node (the manager's proxy in the swarm profile takes the service
 * calls). Side by side in one run:
 * - six deploys pushed at once, each build waiting on I/O (`RUN … sleep 5`), with one builder node
 *   against three: total time until all six checks are green, and the node each image was built on;
 * - request latency to the same busybox httpd over the overlay (client and task on different
 *   nodes) against a bridge network on one node.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { startProxyProcess, type ProxyProcess } from '../test/helpers/proxy-process.js';
import { startCli, type RunningProcess } from '../test/helpers/processes.js';
import { SwarmCluster } from '../test/helpers/swarm-cluster.js';
import { pushPayload } from '../test/helpers/webhooks.js';
import { stopProcess } from './lib/cleanup.js';
import { BENCH_INSTALLATION, BENCH_OWNER, BenchStack, randomSha, waitUntil } from './lib/stack.js';
import { fmt, median } from './lib/stats.js';
import { ratio, type BenchRow } from './lib/table.js';

const G = 'Swarm';
const DEPLOYS = 6;
const REQUESTS = 200;
const LATENCY_ROUNDS = 5;

export async function runSwarmBench(): Promise<BenchRow[]> {
  const cluster = new SwarmCluster();
  const proxies: ProxyProcess[] = [];
  let stack: BenchStack | undefined;
  try {
    await cluster.start();
    for (const node of cluster.nodes) await cluster.loadImage('helvetia-base:latest', node.index);
    stack = new BenchStack({ name: 'swarm', env: { DEPLOY_BACKEND: 'swarm', REGISTRY_URL: cluster.registry, HEALTH_TIMEOUT_SECONDS: '90', WORKER_CONCURRENCY: '2', LOG_LEVEL: 'info' } });
    await stack.start({ worker: false, app: true });
    const ownerSecret = randomBytes(32).toString('hex');
    for (const node of cluster.nodes) {
      const manager: Record<string, string> = node.index === 0 ? { PROXY_PROFILE: 'swarm', SERVICES: '1', TASKS: '1', NODES: '1' } : {};
      proxies.push(await startProxyProcess({ DOCKER_SOCKET: node.socket, REGISTRY_URL: cluster.registry, EDGE_NETWORK: stack.network, PROXY_OWNER_SECRET: ownerSecret, ...manager }));
    }
    const one = await deployRound(stack, cluster, proxies, 1);
    const three = await deployRound(stack, cluster, proxies, 3);
    const latency = await latencyRows(stack, cluster);
    const spread = (nodes: number[]) => cluster.nodes.map((n) => `n${n.index}: ${nodes.filter((i) => i === n.index).length}`).join(', ');
    return [
      {
        group: G, metric: `${DEPLOYS} deploys pushed at once, builds waiting on I/O (RUN sleep 5), WORKER_CONCURRENCY=2 per builder: all checks green; builds per node`,
        ours: `3 builder nodes: ${fmt(three.ms / 1000, 1)} s (${spread(three.nodes)})`, baseline: `1 builder node: ${fmt(one.ms / 1000, 1)} s (${spread(one.nodes)})`,
        ratio: ratio(three.ms, one.ms), target: 'builds spread over the nodes', met: new Set(three.nodes).size > 1,
      },
      latency,
    ];
  } finally {
    for (const proxy of proxies) await proxy.process.stop();
    await stack?.stop();
    await cluster.destroy();
  }
}

/** Starts one worker on each of the first `builders` nodes, pushes DEPLOYS repositories at once, waits until all are green. */
async function deployRound(stack: BenchStack, cluster: SwarmCluster, proxies: ProxyProcess[], builders: number): Promise<{ ms: number; nodes: number[] }> {
  const workers: RunningProcess[] = [];
  try {
    for (let i = 0; i < builders; i++) {
      const worker = startCli(['worker'], { ...stack.env, DOCKER_HOST: proxies[i]!.dockerHost, SWARM_MANAGER_HOST: proxies[0]!.dockerHost, SWARM_NODE_ID: cluster.node(i).nodeId });
      workers.push(worker);
      await waitUntil(`worker ${i} started`, () => worker.output().includes('worker started'), 60_000, 100);
    }
    const nonce = randomBytes(4).toString('hex');
    const deploys = Array.from({ length: DEPLOYS }, (_, i) => ({ repo: `swarm-${nonce}-${i}`, sha: randomSha() }));
    for (const { repo, sha } of deploys) stack.github.addCommit(BENCH_OWNER, repo, sha, stack.site(`${repo}`, {}, `RUN echo ${nonce} && sleep 5`));
    const t0 = Date.now();
    await Promise.all(deploys.map(({ repo, sha }) => stack.send('push', pushPayload({ owner: BENCH_OWNER, repo, sha, installationId: BENCH_INSTALLATION }))));
    const conclusion = (sha: string) => stack.github.checkRuns({ sha }).map((c) => c.state.conclusion).find(Boolean);
    await waitUntil('all deploys concluded', () => deploys.every(({ sha }) => conclusion(sha)) || undefined, 300_000, 100).catch((error: Error) => {
      throw new Error(`${error.message}; worker output:\n${workers.map((w) => w.output().slice(-2000)).join('\n---\n')}`);
    });
    const ms = Date.now() - t0;
    const failed = deploys.filter(({ sha }) => conclusion(sha) !== 'success');
    if (failed.length) {
      const summary = String(stack.github.checkRuns({ sha: failed[0]!.sha }).map((c) => c.state.output?.summary).find(Boolean) ?? '');
      const redis = new Redis(stack.env.REDIS_URL!);
      const job = /\/logs\/([^?]+)\?/.exec(summary)?.[1];
      const lines = job ? (await redis.xrange(`${stack.prefix}:log:${job}:stream`, '-', '+')).map(([, f]) => f.join(' ')) : [];
      redis.disconnect();
      const denied = proxies.flatMap((p) => p.decisions().filter((d) => d.decision !== 'allow').map((d) => `${d.method} ${d.path} ${d.rule} ${d.status}`));
      throw new Error(`${failed.length} deploy(s) did not succeed:\n${lines.slice(-3).join('\n')}\nproxy refusals:\n${denied.join('\n')}`);
    }
    // Each image stays on the node that built it (tagged helvetia/<repo>--<owner>:<sha>).
    const nodes: number[] = [];
    for (const { repo, sha } of deploys) {
      for (const node of cluster.nodes) {
        if (await node.docker.getImage(`helvetia/${repo}--${BENCH_OWNER}:${sha}`).inspect().then(() => true, () => false)) nodes.push(node.index);
      }
    }
    return { ms, nodes };
  } finally {
    for (const worker of workers) await stopProcess(worker);
  }
}

/** Mean time per request of REQUESTS sequential wgets from a fresh client container (dockerd's start/finish clock). */
async function meanRequestMs(docker: Docker, network: string, host: string, label: Record<string, string>): Promise<number> {
  const client = await docker.createContainer({
    Image: 'helvetia-base:latest', Labels: label, HostConfig: { NetworkMode: network },
    Cmd: ['sh', '-c', `i=0; while [ $i -lt ${REQUESTS} ]; do wget -q -O /dev/null http://${host}:8080/ || exit 1; i=$((i+1)); done`],
  });
  try {
    await client.start();
    const { StatusCode } = (await client.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`a request to ${host} failed`);
    const { State } = (await client.inspect()) as { State: { StartedAt: string; FinishedAt: string } };
    return (Date.parse(State.FinishedAt) - Date.parse(State.StartedAt)) / REQUESTS;
  } finally {
    await client.remove({ force: true });
  }
}

/** The last deployed app over the overlay (client on another node than its task) against the same server on a bridge on one node. */
async function latencyRows(stack: BenchStack, cluster: SwarmCluster): Promise<BenchRow> {
  const label = { 'hvbench.tmp': stack.prefix };
  const [service] = (await cluster.manager.docker.listServices({ filters: { label: [`cloud.helvetia.instance=${stack.prefix}`] } })) as { Spec: { Name: string } }[];
  if (!service) throw new Error('no service deployed');
  const [task] = (await cluster.manager.docker.listTasks({ filters: { service: [service.Spec.Name], 'desired-state': ['running'] } })) as { NodeID: string }[];
  const client = cluster.nodes.find((n) => n.nodeId !== task?.NodeID)!;
  const bridge = `${stack.prefix}-bridge`;
  await client.docker.createNetwork({ Name: bridge, Labels: label });
  const server = await client.docker.createContainer({
    Image: 'helvetia-base:latest', name: `${stack.prefix}-server`, Labels: label, HostConfig: { NetworkMode: bridge },
    Cmd: ['sh', '-c', 'mkdir -p /w && echo bridge > /w/index.html && exec httpd -f -p 8080 -h /w'],
  });
  try {
    await server.start();
    const overlay: number[] = [];
    const local: number[] = [];
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      overlay.push(await meanRequestMs(client.docker, stack.network, service.Spec.Name, label));
      local.push(await meanRequestMs(client.docker, bridge, `${stack.prefix}-server`, label));
    }
    return {
      group: G, metric: `request latency to busybox httpd: overlay (client on another node than the task) vs a bridge on one node; mean of ${REQUESTS} sequential wget, median of ${LATENCY_ROUNDS}`,
      ours: `overlay: ${fmt(median(overlay), 2)} ms`, baseline: `bridge: ${fmt(median(local), 2)} ms`, ratio: ratio(median(overlay), median(local)),
    };
  } finally {
    await server.remove({ force: true });
    await client.docker.getNetwork(bridge).remove().catch(() => undefined);
  }
}
