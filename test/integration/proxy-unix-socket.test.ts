import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, NO_NET, WORKER_FLAGS, cleanup, direct, startProxy, uniquePrefix } from './proxy-harness.js';

/**
 * PROXY_LISTEN=unix:/path: the proxy on a unix socket (deploy/stack.yml shares it with the node's
 * worker through a volume, so no port is published on the node's network). The same policy holds.
 */
const P = uniquePrefix();
const dir = mkdtempSync(join(tmpdir(), 'hvproxy-unix-'));

afterAll(async () => {
  await cleanup(P);
  rmSync(dir, { recursive: true, force: true });
});

/** Leaves a socket file behind as a SIGKILLed proxy would (a closed server removes its file). */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await new Promise((resolve) => child.on('exit', resolve));
  expect(statSync(path).isSocket()).toBe(true);
}

describe('the proxy on a unix socket', () => {
  it('replaces a stale socket, is reachable by any uid through its directory, and enforces the same policy', async () => {
    const path = join(dir, 'docker.sock');
    await staleSocket(path);
    const proxy = await startProxy({ ...WORKER_FLAGS, PROXY_LISTEN: `unix:${path}` });
    try {
      expect(statSync(path).isSocket()).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o666);
      expect((await proxy.docker.ping()).toString()).toBe('OK');
      // The worker's image runs as another uid (node) than the proxy (root): it connects all the same.
      chmodSync(dir, 0o755);
      const ping = spawn(process.execPath, ['-e', `require('http').get({ socketPath: ${JSON.stringify(path)}, path: '/_ping' }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(2))`], { uid: 65534, gid: 65534 });
      expect(await new Promise((resolve) => ping.on('exit', resolve))).toBe(0);
      const created = await proxy.docker.createContainer({
        name: `${P}-ok`, Image: BASE_IMAGE, Cmd: ['true'], Labels: { 'cloud.helvetia.role': 'probe' },
        HostConfig: { ...NO_NET, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'], Memory: 32 * 1024 * 1024, PidsLimit: 16 },
      });
      expect((await direct().getContainer(created.id).inspect()).Config.Labels).toMatchObject(proxy.labels.object);
      await expect(proxy.docker.createContainer({ name: `${P}-priv`, Image: BASE_IMAGE, HostConfig: { ...NO_NET, Privileged: true } })).rejects.toMatchObject({ statusCode: 403 });
      expect(proxy.logs.some((l) => l.decision === 'deny')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to start over a file that is not a socket, naming PROXY_LISTEN', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'keep me');
    await expect(startProxy({ ...WORKER_FLAGS, PROXY_LISTEN: `unix:${path}` })).rejects.toThrow(/PROXY_LISTEN: .*not-a-socket exists and is not a socket/);
    expect(statSync(path).isFile()).toBe(true);
  });
});
