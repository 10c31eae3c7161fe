import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class SwarmNetError extends Error {
  override name = 'SwarmNetError';
}

const toInt = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;

/** True when two IPv4 CIDRs share an address. */
export function overlaps(a: string, b: string): boolean {
  const [ipA = '', lenA = '32'] = a.split('/');
  const [ipB = '', lenB = '32'] = b.split('/');
  const len = Math.min(Number(lenA), Number(lenB));
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return ((toInt(ipA) & mask) >>> 0) === ((toInt(ipB) & mask) >>> 0);
}

/**
 * A /24 in 10.213.0.0/16 that no route of the host touches yet. Random, so two clusters starting
 * at once rarely pick the same one; SwarmBridge.create() notices when they did.
 */
export async function freeSubnet(): Promise<string> {
  const { stdout } = await run('ip', ['-4', '-o', 'route', 'show', 'table', 'all']);
  const taken = stdout
    .split('\n')
    .map((line) => line.split(' ').find((word) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(word)))
    .filter((cidr): cidr is string => Boolean(cidr));
  for (let attempt = 0; attempt < 50; attempt++) {
    const subnet = `10.213.${Math.floor(Math.random() * 256)}.0/24`;
    if (!taken.some((cidr) => overlaps(cidr, subnet))) return subnet;
  }
  throw new SwarmNetError('no free /24 in 10.213.0.0/16');
}

/**
 * The host end of a test cluster's network: one Linux bridge with the first address of the
 * subnet, and per node a veth pair whose inner end becomes `eth0` in the node's namespace.
 * Interface names are limited to 15 characters, hence the short `hvswarm-<id>…` names.
 */
export class SwarmBridge {
  readonly name: string;
  readonly prefix: string;
  private readonly rule: string[];

  constructor(readonly id: string, readonly subnet: string) {
    this.name = `hvswarm-${id}br`;
    this.prefix = subnet.split('.').slice(0, 3).join('.');
    // The host loads br_netfilter (bridge-nf-call-iptables=1) and Docker sets FORWARD's policy to
    // DROP, so frames between two ports of our bridge (gossip, raft, VXLAN) would be dropped as
    // forwarded traffic. One rule, tagged with our name, lets traffic within this bridge pass; it
    // never forwards to or from any other interface.
    this.rule = ['FORWARD', '-i', this.name, '-o', this.name, '-m', 'comment', '--comment', this.name, '-j', 'ACCEPT'];
  }

  get hostIp(): string {
    return `${this.prefix}.1`;
  }

  nodeIp(index: number): string {
    return `${this.prefix}.${10 + index}`;
  }

  vethName(index: number): string {
    return `hvswarm-${this.id}v${index}`;
  }

  async create(): Promise<void> {
    await run('ip', ['link', 'add', this.name, 'type', 'bridge']);
    await run('ip', ['link', 'set', this.name, 'mtu', '1500']);
    await run('ip', ['addr', 'add', `${this.hostIp}/24`, 'dev', this.name]);
    // Linux accepts one subnet on two interfaces: a cluster that started at the same moment and
    // picked the same /24 shows up only here (the caller retries with another subnet).
    const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show']);
    const clash = stdout.split('\n').find((line) => line.includes(` ${this.prefix}.`) && !line.includes(` ${this.name} `));
    if (clash) throw new SwarmNetError(`${this.subnet} is also on another interface: ${clash}`);
    await run('ip', ['link', 'set', this.name, 'up']);
    await run('iptables', ['-I', ...this.rule]);
  }

  /**
   * Gives namespace `netns` an `eth0` on the bridge at nodeIp(index). No default route on
   * purpose: nothing in a node (dockerd, containers) can reach any address outside the subnet.
   */
  async attach(index: number, netns: string): Promise<void> {
    const host = this.vethName(index);
    const peer = `hvswarm-${this.id}p${index}`;
    await run('ip', ['link', 'add', host, 'mtu', '1500', 'type', 'veth', 'peer', 'name', peer, 'mtu', '1500']);
    await run('ip', ['link', 'set', host, 'master', this.name]);
    await run('ip', ['link', 'set', host, 'up']);
    await run('ip', ['link', 'set', peer, 'netns', netns]);
    const inNs = (...args: string[]) => run('ip', ['netns', 'exec', netns, 'ip', ...args]);
    await inNs('link', 'set', peer, 'name', 'eth0');
    await inNs('addr', 'add', `${this.nodeIp(index)}/24`, 'dev', 'eth0');
    await inNs('link', 'set', 'eth0', 'up');
  }

  /** Removes the bridge, any veth left on it and the FORWARD rule; tolerates a half-made bridge. */
  async destroy(nodes: number): Promise<void> {
    for (let i = 0; i < nodes; i++) await run('ip', ['link', 'del', this.vethName(i)]).catch(() => undefined);
    await run('ip', ['link', 'del', this.name]).catch(() => undefined);
    // -D removes one copy per call; a rule inserted twice by a retried create goes in two calls.
    while (await run('iptables', ['-D', ...this.rule]).then(() => true, () => false));
  }
}

/** Names of this cluster's interfaces, namespaces and FORWARD rules still present on the host. */
export async function leftovers(id: string): Promise<string[]> {
  const tag = `hvswarm-${id}`;
  const [links, netns, rules] = await Promise.all([
    run('ip', ['-o', 'link', 'show']).then((r) => r.stdout),
    run('ip', ['netns', 'list']).then((r) => r.stdout),
    run('iptables', ['-S', 'FORWARD']).then((r) => r.stdout),
  ]);
  return [...links.split('\n'), ...netns.split('\n'), ...rules.split('\n')].filter((line) => line.includes(tag));
}
