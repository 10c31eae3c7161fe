import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demux } from '../../src/docker/dockerode-engine.js';
import { waitFor } from '../helpers/fault-util.js';
import { SwarmCluster, type SwarmNode } from '../helpers/swarm-cluster.js';

interface Task {
  NodeID: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
}

/**
 * The swarm test harness itself: three real dockerds (one manager, two workers) in their own
 * network namespaces on a private bridge, a real registry, a real overlay network. Every wait is a
 * poll with a deadline on what the manager reports.
 */
describe('swarm cluster harness', () => {
  const cluster = new SwarmCluster();
  const service = `hvswarm-${cluster.id}-web`;
  const network = `hvswarm-${cluster.id}-net`;
  let image = '';

  beforeAll(() => cluster.start(), 120_000);
  afterAll(async () => {
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
  }, 120_000);

  const tasks = async (): Promise<Task[]> =>
    (await cluster.manager.docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as Task[];
  const running = async (): Promise<Task[]> => (await tasks()).filter((t) => t.Status.State === 'running');
  const nodeOf = (task: Task): SwarmNode => cluster.nodes.find((n) => n.nodeId === task.NodeID)!;
  /** Three running tasks, none on `avoid`'s node (undefined until so). */
  const settledAway = (avoid?: SwarmNode) => async () => {
    const all = await tasks();
    const ok = all.length === 3 && all.every((t) => t.Status.State === 'running' && t.NodeID !== avoid?.nodeId);
    return ok ? all : undefined;
  };

  it('has three ready nodes: one manager and two workers', async () => {
    const nodes = (await cluster.manager.docker.listNodes()) as { ID: string; Spec: { Role: string }; Status: { State: string; Addr: string } }[];
    expect(nodes.map((n) => n.Status.State)).toEqual(['ready', 'ready', 'ready']);
    expect(nodes.filter((n) => n.Spec.Role === 'manager').map((n) => n.ID)).toEqual([cluster.manager.nodeId]);
    expect(nodes.filter((n) => n.Spec.Role === 'worker').map((n) => n.ID).sort()).toEqual([cluster.node(1).nodeId, cluster.node(2).nodeId].sort());
    expect(nodes.map((n) => n.Status.Addr).sort()).toEqual(cluster.nodes.map((n) => n.ip).sort());
  });

  it('pushes an image to the registry and runs a service by digest on more than one node', async () => {
    image = await cluster.pushToRegistry('helvetia-base:latest');
    expect(image).toMatch(new RegExp(`^${cluster.registry.replaceAll('.', '\\.')}/hvswarm/helvetia-base@sha256:[0-9a-f]{64}$`));
    const digest = image.split('@')[1]!;
    const manifest = await fetch(`http://${cluster.registry}/v2/hvswarm/helvetia-base/manifests/${digest}`, {
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(manifest.status).toBe(200);

    await cluster.manager.docker.createNetwork({ Name: network, Driver: 'overlay', Attachable: true });
    await cluster.manager.docker.createService({
      Name: service,
      TaskTemplate: {
        // httpd as PID 1 ignores SIGTERM: without a short grace period every move waits 10 s.
        ContainerSpec: { Image: image, Command: ['sh', '-c', 'hostname > /www/index.html && exec httpd -f -p 8080 -h /www'], StopGracePeriod: 1e9 },
        Networks: [{ Target: network }],
        // No restart delay (default 5 s): a replacement task starts as soon as it is placed.
        RestartPolicy: { Condition: 'any', Delay: 0 },
        Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.id' } }] },
      },
      Mode: { Replicated: { Replicas: 3 } },
      // DNS round robin: this kernel has no IPVS, so service VIPs do not route (see SwarmCluster).
      EndpointSpec: { Mode: 'dnsrr' },
    });
    const placed = await waitFor('3 running tasks', settledAway(), 60_000);
    expect(new Set(placed.map((t) => t.NodeID)).size).toBeGreaterThan(1);
    // A worker had none of it locally: it pulled the digest from the cluster's registry.
    const worker = placed.map(nodeOf).find((n) => n.index > 0)!;
    const pulled = (await worker.docker.getImage(image).inspect()) as { RepoDigests: string[] };
    expect(pulled.RepoDigests).toContain(image);
  });

  it('answers HTTP across nodes on an attachable overlay network', async () => {
    const probeNode = cluster.node(1);
    const remote = (await running()).filter((t) => t.NodeID !== probeNode.nodeId);
    expect(remote.length).toBeGreaterThan(0);
    for (const task of remote) {
      const address = task.NetworksAttachments!.find((a) => a.Network.Spec.Name === network)!.Addresses[0]!.split('/')[0];
      const hostname = task.Status.ContainerStatus!.ContainerID!.slice(0, 12);
      // The overlay's peer tables reach a new node by gossip: poll, each probe a fresh container.
      const answer = await waitFor(`HTTP from ${address} on node ${nodeOf(task).index}`, async () => {
        const out = await probe(probeNode, image, network, `timeout 5 wget -q -O- http://${address}:8080/`);
        return out.code === 0 ? out.output.trim() : undefined;
      }, 30_000);
      expect(answer).toBe(hostname);
    }
    // By service name: the swarm's DNS answers with the tasks' addresses.
    const hostnames = (await running()).map((t) => t.Status.ContainerStatus!.ContainerID!.slice(0, 12));
    const byName = await probe(probeNode, image, network, `timeout 5 wget -q -O- http://${service}:8080/`);
    expect(byName.code, byName.output).toBe(0);
    expect(hostnames).toContain(byName.output.trim());
  });

  it('draining a worker moves its tasks to other nodes', async () => {
    const worker = cluster.node(1);
    expect((await running()).some((t) => t.NodeID === worker.nodeId)).toBe(true);
    const drainedAt = Date.now();
    await cluster.drain(1);
    await waitFor('tasks off the drained node', settledAway(worker), 60_000);
    console.log(`drained ${Date.now() - drainedAt} ms after the update`);
    await cluster.setAvailability(1, 'active');
  });

  it("reschedules a stopped worker's task on another node within 30 s", async () => {
    const worker = cluster.node(2);
    expect((await running()).some((t) => t.NodeID === worker.nodeId)).toBe(true);
    const stoppedAt = Date.now();
    await cluster.stopNode(2);
    console.log(`dockerd stopped after ${Date.now() - stoppedAt} ms`);
    await waitFor('tasks running elsewhere', settledAway(worker), 30_000 - (Date.now() - stoppedAt));
    console.log(`rescheduled ${Date.now() - stoppedAt} ms after the stop`);
    expect((await cluster.nodeStates()).get(worker.nodeId)).toBe('down');
    await cluster.startNode(2);
  });

  it("notices a crashed worker (dockerd SIGKILLed) by its missed heartbeats and reschedules within 30 s", async () => {
    const worker = cluster.node(1);
    expect((await running()).some((t) => t.NodeID === worker.nodeId)).toBe(true);
    const killedAt = Date.now();
    // No restart afterwards (see TestDaemon.restart on SIGKILL): destroy() ends its orphaned containers.
    await cluster.stopNode(1, 'SIGKILL');
    await waitFor('worker reported down', async () => (await cluster.nodeStates()).get(worker.nodeId) === 'down', 30_000);
    const downAfter = Date.now() - killedAt;
    await waitFor('tasks running elsewhere', settledAway(worker), 30_000 - (Date.now() - killedAt));
    console.log(`crashed worker down after ${downAfter} ms, tasks rescheduled after ${Date.now() - killedAt} ms`);
  });

  it('destroy leaves no namespace, link, rule, process, directory or mount behind', async () => {
    await cluster.destroy();
    expect(await cluster.leftovers()).toEqual([]);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`hvswarm-${cluster.id}`);
  });
});

/** Runs `cmd` in a one-shot container of `image` (already on `node`), attached to `network`; returns exit code and output. */
async function probe(node: SwarmNode, image: string, network: string, cmd: string): Promise<{ code: number; output: string }> {
  const container = await node.docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', cmd],
    HostConfig: { NetworkMode: network },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return { code: StatusCode, output: demux((await container.logs({ stdout: true, stderr: true })) as Buffer) };
  } finally {
    await container.remove({ force: true });
  }
}
