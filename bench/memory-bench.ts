/**
 * Row 6, idle memory: `helvetia app`, `helvetia worker` and `helvetia proxy` (node dist/cli.js,
 * as in production) started side by side, left alone for SETTLE_MS, then their RSS from /proc.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { freePort, startCli, type RunningProcess } from '../test/helpers/processes.js';
import { stopProcess } from './lib/cleanup.js';
import { BenchStack, DOCKER_SOCKET, sleep, waitUntil } from './lib/stack.js';
import { fmt } from './lib/stats.js';
import type { BenchRow } from './lib/table.js';

const SETTLE_MS = 5_000;
const G = 'Idle memory';

/** A /proc/<pid>/status field in MB (VmRSS: now, VmHWM: peak). */
function procMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (pid === undefined) return Number.NaN;
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export async function runMemoryBench(): Promise<BenchRow[]> {
  const stack = new BenchStack({ name: 'mem', env: { LOG_LEVEL: 'info' } });
  let proxy: RunningProcess | undefined;
  try {
    await stack.start({ app: true, worker: true });
    const port = await freePort();
    proxy = startCli(['proxy'], { DOCKER_SOCKET, PROXY_OWNER_SECRET: randomBytes(32).toString('hex'), PROXY_LISTEN: `127.0.0.1:${port}`, PROXY_ALLOWED_NETWORKS: stack.network, CONTAINERS: '1', POST: '1', IMAGES: '1', NETWORKS: '1', BUILD: '1', ALLOW_START: '1', ALLOW_STOP: '1' });
    await waitUntil('the proxy answering /_ping', () => fetch(`http://127.0.0.1:${port}/_ping`).then((r) => r.ok, () => false), 30_000, 100);
    await waitUntil('the worker started', () => /worker started/.test(stack.worker!.output()), 30_000, 100);
    await sleep(SETTLE_MS);
    const roles = { app: stack.app, worker: stack.worker, proxy };
    return Object.entries(roles).map(([role, proc]) => {
      if (proc!.child.exitCode !== null) throw new Error(`${role} exited: ${proc!.output().slice(-2000)}`);
      const pid = proc!.child.pid;
      return { group: G, metric: `helvetia ${role}: RSS ${SETTLE_MS / 1000} s after start (peak so far)`, ours: `${fmt(procMb(pid, 'VmRSS'), 1)} MB (${fmt(procMb(pid, 'VmHWM'), 1)} MB)` };
    });
  } finally {
    await stopProcess(proxy);
    await stack.stop();
  }
}
