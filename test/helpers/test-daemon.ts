import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);

export interface TestDaemonOptions {
  /** Back the data root with a tmpfs of this size (MB): a disk that can really fill up. */
  dataTmpfsMb?: number;
  /** Name of its network namespace (default `hvfault-<random>`); a cluster names its own. */
  netns?: string;
  /** Extra dockerd arguments (e.g. `--insecure-registry`). */
  extraArgs?: string[];
  /**
   * Runs once, after the namespace is created (lo up) and before dockerd first starts there: the
   * place to move a veth into it. Not run again on restart, the namespace outlives the daemon.
   */
  setupNetns?: (netns: string) => Promise<void>;
}

/**
 * A second, test-owned dockerd that a drill may kill, restart or fill up without touching the
 * shared daemon. It runs in its own network namespace: a dockerd started in the host namespace
 * would manage (and, with --bridge=none, delete) the host's docker0 and share its iptables
 * chains. Its socket, data root, exec root and pid file live in one /tmp directory. Needs root,
 * iproute2 (`ip netns`) and util-linux (`nsenter`), like dockerd itself.
 */
export class TestDaemon {
  readonly dir: string;
  readonly netns: string;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private mountedTmpfs = false;
  private readonly containerIds = new Set<string>();
  private swarm = false;

  constructor(private readonly opts: TestDaemonOptions = {}) {
    // Short: containerd's sockets live under the exec root and unix socket paths are limited.
    this.dir = mkdtempSync('/tmp/hvd-');
    this.netns = opts.netns ?? `hvfault-${randomBytes(3).toString('hex')}`;
  }

  get socket(): string {
    return `${this.dir}/docker.sock`;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  client(): Docker {
    return new Docker({ socketPath: this.socket });
  }

  running(): boolean {
    return Boolean(this.child) && this.child!.exitCode === null && this.child!.signalCode === null;
  }

  async start(): Promise<void> {
    if (!existsSync(`/run/netns/${this.netns}`)) {
      await run('ip', ['netns', 'add', this.netns]);
      await run('ip', ['netns', 'exec', this.netns, 'ip', 'link', 'set', 'lo', 'up']);
      await this.opts.setupNetns?.(this.netns);
    }
    if (this.opts.dataTmpfsMb && !this.mountedTmpfs) {
      mkdirSync(`${this.dir}/data`, { recursive: true });
      await run('mount', ['-t', 'tmpfs', '-o', `size=${this.opts.dataTmpfsMb}m`, 'hvfault-data', `${this.dir}/data`]);
      this.mountedTmpfs = true;
    }
    // Only this daemon ever uses this pid file; a SIGKILLed one leaves it behind.
    rmSync(`${this.dir}/docker.pid`, { force: true });
    const log = openSync(`${this.dir}/dockerd.log`, 'a');
    this.child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${this.netns}`, '--',
        'dockerd', '--host', this.host, '--data-root', `${this.dir}/data`, '--exec-root', `${this.dir}/exec`,
        '--pidfile', `${this.dir}/docker.pid`, ...(this.opts.extraArgs ?? []),
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!this.running()) throw new Error(`test dockerd exited at start:\n${this.log().slice(-3000)}`);
      if (await this.client().ping().then(() => true, () => false)) return;
      if (Date.now() > deadline) throw new Error(`test dockerd did not answer within 60s:\n${this.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Kills the daemon (SIGKILL by default: a crash) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running()) return;
    this.child!.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Stops and starts the daemon. SIGTERM (the default) is what `systemctl restart docker` sends; a
   * SIGKILLed dockerd takes its containerd along, and on these machines the next dockerd then
   * sometimes fails with "timeout waiting for containerd to start".
   */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.kill(signal);
    await this.start();
  }

  /**
   * Puts this daemon (never the shared one) into swarm mode as a single manager. Swarm needs an
   * address to advertise: a /32 on the namespace's own loopback, so the cluster's traffic stays
   * inside the namespace and the daemon joins no real network. Left again in destroy().
   */
  async swarmInit(): Promise<string> {
    const address = `10.${200 + randomBytes(1)[0]! % 50}.${randomBytes(1)[0]!}.1`;
    await run('ip', ['netns', 'exec', this.netns, 'ip', 'addr', 'add', `${address}/32`, 'dev', 'lo']);
    this.swarm = true;
    return String(await this.client().swarmInit({ ListenAddr: `${address}:2377`, AdvertiseAddr: address }));
  }

  /** Imports helvetia-base:latest with the project's own script. */
  async importBaseImage(): Promise<void> {
    await run('bash', ['scripts/build-base-images.sh'], { env: { ...process.env, DOCKER_HOST: this.host } });
  }

  log(): string {
    try {
      return readFileSync(`${this.dir}/dockerd.log`, 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Processes left by this daemon only: containerd shims that name our exec root, and the
   * processes of our containers (found by their container ids in /proc/<pid>/cgroup): a container
   * outlives a SIGKILLed dockerd and its shim, and would keep its network namespace alive.
   */
  leftoverPids(): number[] {
    try {
      for (const id of readdirSync(`${this.dir}/data/containers`)) if (/^[0-9a-f]{64}$/.test(id)) this.containerIds.add(id);
    } catch {
      // no containers directory (yet, or any more: the ids seen before are remembered)
    }
    const ids = [...this.containerIds];
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        const cgroup = ids.length > 0 ? readFileSync(`/proc/${entry}/cgroup`, 'utf8') : '';
        if (cmdline.includes(`${this.dir}/`) || ids.some((id) => cgroup.includes(id))) pids.push(Number(entry));
      } catch {
        // exited meanwhile
      }
    }
    return pids;
  }

  /** Removes everything: containers, the daemon, its shims, mounts, directory and network namespace. */
  async destroy(opts: { restartDead?: boolean } = {}): Promise<void> {
    // A daemon left dead by a drill is started once more: without live-restore it stops what it
    // ran. Callers that cannot afford a slow restart skip it; leftoverPids() finds the rest.
    if ((opts.restartDead ?? true) && !this.running() && this.child) await this.start().catch(() => undefined);
    if (this.running()) {
      const docker = this.client();
      if (this.swarm) await docker.swarmLeave({ force: true }).catch(() => undefined);
      for (const c of await docker.listContainers({ all: true }).catch(() => [])) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
      await this.kill('SIGTERM');
    }
    for (const pid of this.leftoverPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    // Deepest mounts first (overlay layers, netns files), then the data root itself.
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((target) => target === this.dir || target.startsWith(`${this.dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const target of mounts) await run('umount', ['-l', target]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    await run('ip', ['netns', 'del', this.netns]).catch(() => undefined);
  }
}
