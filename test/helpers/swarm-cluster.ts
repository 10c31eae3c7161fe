import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { waitFor } from './fault-util.js';
import { copyImage, hasImage, pushImage } from './swarm-images.js';
import { SwarmBridge, freeSubnet, leftovers } from './swarm-net.js';
import { TestDaemon } from './test-daemon.js';

export class SwarmClusterError extends Error {
  override name = 'SwarmClusterError';
}

export interface SwarmNode {
  readonly index: number;
  readonly daemon: TestDaemon;
  /** Engine API client on this node's own socket (the harness's back door for staging faults). */
  readonly docker: Docker;
  readonly socket: string;
  /** Address on the cluster bridge: swarm (2377/7946/4789) and published ports listen here. */
  readonly ip: string;
  /** Swarm node id, known once the node is in the swarm. */
  nodeId: string;
}

export interface SwarmClusterOptions {
  /** Number of dockerds; node 0 is the manager, the rest are workers. Default 3. */
  nodes?: number;
  /** Dispatcher heartbeat: a dead worker is noticed after a few of these. Default 1 s. */
  heartbeatSeconds?: number;
}

export type Availability = 'active' | 'pause' | 'drain';

const REGISTRY_IMAGE = 'helvetia-registry:2';
const hostDocker = (): Docker => new Docker({ socketPath: '/var/run/docker.sock' });

/**
 * A real multi-node Docker Swarm on one machine: N test dockerds (TestDaemon), each in its own
 * network namespace with a veth on a private bridge, node 0 the manager, plus a registry
 * (helvetia-registry:2) running on the manager at `<manager ip>:5000`. Every name starts with
 * `hvswarm-<id>`; destroy() removes all of it, also after a failed or half-finished start.
 *
 * Each dockerd keeps --iptables on: its rules land in its own namespace's tables, not the host's.
 * Links are MTU 1500, so overlay networks get their default 1450 (VXLAN takes 50 bytes).
 * This kernel has no IPVS (CONFIG_IP_VS unset; dockerd logs "Could not get ipvs family
 * information"): service VIPs and the ingress routing mesh do not route here. Services use
 * `EndpointSpec: { Mode: 'dnsrr' }` and `PublishMode: 'host'` ports, which work.
 */
export class SwarmCluster {
  readonly id = randomBytes(2).toString('hex');
  readonly nodes: SwarmNode[] = [];
  private bridge?: SwarmBridge;
  private destroying?: Promise<void>;
  private readonly size: number;

  constructor(private readonly opts: SwarmClusterOptions = {}) {
    this.size = opts.nodes ?? 3;
    if (this.size < 1) throw new SwarmClusterError('a cluster needs at least one node');
  }

  get manager(): SwarmNode {
    return this.node(0);
  }

  /** `host:port` of the cluster's registry; every node trusts it over plain HTTP. */
  get registry(): string {
    return `${this.manager.ip}:5000`;
  }

  node(index: number): SwarmNode {
    const node = this.nodes[index];
    if (!node) throw new SwarmClusterError(`no node ${index} (cluster of ${this.nodes.length})`);
    return node;
  }

  async start(): Promise<void> {
    // A 4-hex id can repeat: never adopt (and later delete) another cluster's bridge or namespaces.
    const taken = await leftovers(this.id);
    if (taken.length > 0) throw new SwarmClusterError(`hvswarm-${this.id} is in use on this host:\n${taken.join('\n')}`);
    for (let attempt = 1; ; attempt++) {
      this.bridge = new SwarmBridge(this.id, await freeSubnet());
      const failed = await this.bridge.create().then(() => undefined, (error: Error) => error);
      if (!failed) break;
      await this.bridge.destroy(0);
      if (attempt === 3) throw failed;
    }
    const bridge = this.bridge;
    const registry = `${bridge.nodeIp(0)}:5000`;
    for (let index = 0; index < this.size; index++) {
      const daemon = new TestDaemon({
        netns: `hvswarm-${this.id}-n${index}`,
        setupNetns: (netns) => bridge.attach(index, netns),
        // Plain HTTP is fine here: the registry only lives on this test bridge.
        extraArgs: ['--insecure-registry', registry],
      });
      const node = { index, daemon, docker: daemon.client(), socket: daemon.socket, ip: bridge.nodeIp(index), nodeId: '' };
      this.nodes.push(node);
    }
    await Promise.all(this.nodes.map((node) => node.daemon.start()));
    const heartbeat = (this.opts.heartbeatSeconds ?? 1) * 1e9;
    await this.manager.docker.swarmInit({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: this.manager.ip,
      Spec: { Dispatcher: { HeartbeatPeriod: heartbeat } },
    });
    const { JoinTokens } = (await this.manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    await Promise.all(
      this.nodes.slice(1).map((node) =>
        node.docker.swarmJoin({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: node.ip, RemoteAddrs: [`${this.manager.ip}:2377`], JoinToken: JoinTokens.Worker }),
      ),
    );
    for (const node of this.nodes) node.nodeId = ((await node.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    await this.waitReady();
    await this.startRegistry();
  }

  /** Waits until the manager sees every node `ready` (or only those in `indexes`). */
  async waitReady(indexes = this.nodes.map((n) => n.index), timeoutMs = 60_000): Promise<void> {
    await waitFor(`nodes ${indexes.join(',')} ready`, async () => {
      const states = await this.nodeStates();
      return indexes.every((i) => states.get(this.node(i).nodeId) === 'ready');
    }, timeoutMs);
  }

  /** Swarm node id → state (`ready`, `down`, …) as the manager sees it. */
  async nodeStates(): Promise<Map<string, string>> {
    const list = (await this.manager.docker.listNodes()) as { ID: string; Status: { State: string } }[];
    return new Map(list.map((n) => [n.ID, n.Status.State]));
  }

  /** Stops one node's dockerd (SIGTERM by default, see TestDaemon.restart on SIGKILL). */
  async stopNode(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (index === 0) throw new SwarmClusterError('stopping the only manager would end the cluster');
    await this.node(index).daemon.kill(signal);
  }

  /**
   * Starts a stopped node's dockerd again and waits until the manager sees it ready. After a
   * SIGKILL this may fail ("timeout waiting for containerd", see TestDaemon.restart).
   */
  async startNode(index: number): Promise<void> {
    const node = this.node(index);
    if (!node.daemon.running()) await node.daemon.start();
    await this.waitReady([index]);
  }

  async setAvailability(index: number, availability: Availability): Promise<void> {
    const swarmNode = this.manager.docker.getNode(this.node(index).nodeId);
    const info = (await swarmNode.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
    await swarmNode.update({ version: info.Version.Index, ...info.Spec, Availability: availability });
  }

  drain(index: number): Promise<void> {
    return this.setAvailability(index, 'drain');
  }

  /** Copies `name` from the host daemon (/var/run/docker.sock) onto one node (default: manager). */
  async loadImage(name: string, index = 0): Promise<void> {
    await copyImage(hostDocker(), this.node(index).docker, name);
  }

  /** Pushes a host image through the manager into the registry; returns `registry/hvswarm/repo@sha256:…`. */
  async pushToRegistry(localName: string): Promise<string> {
    if (!(await hasImage(this.manager.docker, localName))) await this.loadImage(localName);
    return pushImage(this.manager.docker, this.registry, localName);
  }

  private async startRegistry(): Promise<void> {
    await this.loadImage(REGISTRY_IMAGE);
    const container = await this.manager.docker.createContainer({
      name: `hvswarm-${this.id}-registry`,
      Image: REGISTRY_IMAGE,
      HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: this.manager.ip, HostPort: '5000' }] }, RestartPolicy: { Name: 'always' } },
    });
    await container.start();
    // The test process reaches it over the bridge (the manager's namespace, which we created).
    await waitFor('registry to answer', () => fetch(`http://${this.registry}/v2/`).then((r) => r.ok), 30_000);
  }

  /**
   * Removes services, daemons (with their containers, mounts and namespaces), veths, bridge and
   * rule. Safe to call twice (a test's own check and afterAll): the second call waits for the first.
   */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    const manager = this.nodes[0];
    if (manager?.daemon.running()) {
      for (const s of await manager.docker.listServices().catch(() => [])) {
        await manager.docker.getService(s.ID).remove().catch(() => undefined);
      }
    }
    await Promise.all(this.nodes.map((node) => node.daemon.destroy({ restartDead: false }).catch(() => undefined)));
    await this.bridge?.destroy(this.size);
  }

  /** What of this cluster is still on the host: links, namespaces, rules, processes, directories, mounts. */
  async leftovers(): Promise<string[]> {
    const found = await leftovers(this.id);
    const mounts = readFileSync('/proc/mounts', 'utf8');
    for (const { daemon } of this.nodes) {
      if (daemon.running() || daemon.leftoverPids().length > 0) found.push(`processes of ${daemon.dir}`);
      if (existsSync(daemon.dir)) found.push(daemon.dir);
      if (mounts.includes(`${daemon.dir}/`)) found.push(`mounts under ${daemon.dir}`);
    }
    return found;
  }
}
