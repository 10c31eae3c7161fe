import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './processes.js';

/**
 * A throwaway redis-server child on its own port (no persistence unless asked), for drills that stop Redis:
 * the shared Redis on 6379 is never touched.
 */
export class PrivateRedis {
  port = 0;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private output = '';

  /** `persistence`: ['--appendonly', 'yes', '--dir', dir] and the like, replacing the no-persistence default. */
  constructor(private readonly persistence: string[] = ['--save', '', '--appendonly', 'no']) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  running(): boolean {
    return Boolean(this.child) && this.child!.exitCode === null && this.child!.signalCode === null;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', ...this.persistence], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (!this.running()) throw new Error(`redis-server exited at start:\n${this.output}`);
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      const ok = await probe.connect().then(() => probe.ping()).then((r) => r === 'PONG', () => false);
      probe.disconnect();
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the server (its data is gone: no persistence) and waits until it exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running()) return;
    this.child!.kill(signal);
    await this.exited;
  }
}
