import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { getPriority } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker.js';
import { REDIS_URL, TEST_PRIVATE_KEY_PATH } from '../helpers/env.js';
import { freePort, startCli, waitForHttp } from '../helpers/processes.js';

const baseEnv = (port: number) => ({
  APP_ID: '1', PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: 'cli-test-secret', PORT: String(port), HOST: '127.0.0.1',
  REDIS_URL, PREVIEW_DOMAIN: 'p.test', APP_BASE_URL: `http://127.0.0.1:${port}`, LOG_SIGNING_KEY: randomBytes(32).toString('hex'),
  QUEUE_PREFIX: `hvcli${randomBytes(3).toString('hex')}`, RECONCILE_INTERVAL_SECONDS: '3600', LOG_LEVEL: 'warn', EDGE_NETWORK: EDGE,
});

/** The edge network the bot's worker creates when it is missing (removed after the file). */
const EDGE = `hvcli-edge-${randomBytes(3).toString('hex')}`;

describe('helvetia CLI', () => {
  afterAll(() => docker().getNetwork(EDGE).remove().catch(() => undefined));

  it('a worker creates the missing edge network with the compose subnet, and serves /metrics on its own port', async () => {
    const metricsPort = await freePort();
    const worker = startCli(['worker'], { ...baseEnv(await freePort()), LOG_LEVEL: 'info', WORKER_METRICS_PORT: String(metricsPort), METRICS_TOKEN: 'worker-metrics-token-123' });
    try {
      await expect.poll(() => worker.output(), { timeout: 15_000 }).toContain('"msg":"worker started"');
      const info = await docker().getNetwork(EDGE).inspect();
      expect(info.IPAM?.Config).toEqual([expect.objectContaining({ Subnet: '10.201.0.0/20' })]);
      expect(worker.output()).toContain('created the missing edge network');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401);
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: 'Bearer worker-metrics-token-123' } })).text();
      expect(text).toMatch(/^helvetia_queue_jobs\{state="waiting"\} 0$/m);
      expect(text).toMatch(/^helvetia_previews 0$/m);
      expect(text).toMatch(/^helvetia_github_write_queue 0$/m);
      expect(text).toContain('helvetia_worker_process_resident_memory_bytes');
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
    }
  });

  it('refuses to boot with a bad variable and names it', async () => {
    const port = await freePort();
    const proc = startCli(['start'], { ...baseEnv(port), APP_ID: undefined, REDIS_URL: 'localhost:6379' });
    expect(await proc.stop('SIGCONT')).toBe(78);
    expect(proc.output()).toContain('APP_ID: is required');
    expect(proc.output()).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
  });

  it('prints usage for an unknown command and fails', async () => {
    const proc = startCli(['nonsense'], {});
    expect(await proc.stop('SIGCONT')).toBe(2);
    expect(proc.output()).toContain('usage: helvetia <command>');
  });

  it('start runs the webhook server and the worker in one process and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const proc = startCli(['start'], { ...baseEnv(port), LOG_LEVEL: 'info' });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    await expect.poll(() => proc.output(), { timeout: 10_000 }).toContain('"msg":"worker started"');
    expect(proc.output()).toContain('"msg":"webhook server listening"');
    expect(await proc.stop('SIGTERM')).toBe(0);
    expect(proc.output()).toContain('"msg":"shutting down"');
    expect(proc.output()).not.toMatch(/"level":(50|60)/);
  });

  it('a SIGTERM while the worker is still booting stops the started app cleanly (exit 0), not by the signal', async () => {
    // A "Docker" that accepts and never answers holds the worker's boot (its reconcile) open.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const docker = `tcp://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const port = await freePort();
    const proc = startCli(['start'], { ...baseEnv(port), LOG_LEVEL: 'info', DOCKER_HOST: docker });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      await expect.poll(() => sockets.size, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(proc.output()).not.toContain('"msg":"worker started"');
      expect(await proc.stop('SIGTERM')).toBe(0);
      expect(proc.output()).toContain('"msg":"shutting down"');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('worker runs at WORKER_NICE (a lower CPU priority than the app) and start does not', async () => {
    const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const worker = startCli(['worker'], { ...baseEnv(await freePort()), LOG_LEVEL: 'info', WORKER_NICE: '7' });
    const port = await freePort();
    const start = startCli(['start'], { ...baseEnv(port), LOG_LEVEL: 'info', WORKER_NICE: '7' });
    try {
      await expect.poll(() => worker.output(), { timeout: 10_000 }).toContain('"msg":"worker started"');
      expect(niceOf(worker.child.pid!)).toBe(7);
      expect(worker.output()).toContain('"nice":7');
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      expect(niceOf(start.child.pid!)).toBe(getPriority());
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
      expect(await start.stop('SIGTERM')).toBe(0);
    }
  });
});
