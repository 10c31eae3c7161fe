/**
 * Host paths and containers (security guidelines, "Docker Volume Mounts"): the one host folder a
 * container may see is WORKSPACE_DIR, read-only for real on the daemon (writes fail, nothing
 * reaches the host); builds get no way to reach host paths at all.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demux } from '../../src/docker/dockerode-engine.js';
import { BASE_IMAGE, NO_NET, WORKER_FLAGS, cleanup, contextTar, existing, raw, startProxy, uniquePrefix, type RunningProxy } from './proxy-harness.js';

const P = uniquePrefix();
const WS = `/tmp/${P}-workspace`;
let proxy: RunningProxy;

beforeAll(async () => {
  mkdirSync(WS, { recursive: true });
  writeFileSync(`${WS}/seed.txt`, 'seeded by the host\n');
  proxy = await startProxy({ ...WORKER_FLAGS, WORKSPACE_DIR: WS });
});

afterAll(async () => {
  await proxy?.close();
  await cleanup(P);
  rmSync(WS, { recursive: true, force: true });
});

describe('the workspace is the only host path, and read-only on the daemon', () => {
  it('a container reads the workspace but cannot write to it', async () => {
    const c = await proxy.docker.createContainer({
      name: `${P}-reader`, Image: BASE_IMAGE,
      Cmd: ['sh', '-c', 'cat /workspaces/seed.txt; if touch /workspaces/written 2>/dev/null; then echo WROTE; else echo READ-ONLY; fi'],
      HostConfig: { ...NO_NET, Binds: [`${WS}:/workspaces:ro`] },
    });
    await c.start();
    expect(((await c.wait()) as { StatusCode: number }).StatusCode).toBe(0);
    const out = demux((await c.logs({ stdout: true, stderr: true })) as Buffer);
    expect(out).toContain('seeded by the host');
    expect(out).toContain('READ-ONLY');
    expect(out).not.toContain('WROTE');
    expect(readdirSync(WS)).toEqual(['seed.txt']);
    await c.remove({ force: true });
  });

  it('read-write, sub-folders and anything else on the host are refused before dockerd sees them', async () => {
    for (const bind of [`${WS}:/workspaces`, `${WS}/sub:/w:ro`, '/tmp:/t:ro', '/:/host:ro']) {
      const body = JSON.stringify({ Image: BASE_IMAGE, HostConfig: { ...NO_NET, Binds: [bind] } });
      const answer = await raw(proxy.port, 'POST', `/containers/create?name=${P}-bad-${randomBytes(2).toString('hex')}`, body);
      expect(answer.status, bind).toBe(403);
      expect(answer.json.message, bind).toMatch(/\[host-bind(-rw)?\]/);
    }
    expect((await existing(P)).containers).toEqual([]);
  });
});

describe('builds cannot reach host paths', () => {
  it('RUN --mount (a BuildKit bind of the host) fails in the classic builder the proxy forces', async () => {
    const context = await contextTar(`FROM ${BASE_IMAGE}\nRUN --mount=type=bind,source=/,target=/host cat /host/etc/hostname > /leak\n`);
    const answer = await raw(proxy.port, 'POST', `/build?t=${P}-mount:1&networkmode=none`, context, { 'content-type': 'application/x-tar' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('the --mount option requires BuildKit');
    expect(answer.text).not.toContain('Successfully built');
    expect((await existing(P)).images).toEqual([]);
  });

  it('asking for BuildKit (which would allow such mounts) is refused', async () => {
    const context = await contextTar(`FROM ${BASE_IMAGE}\n`);
    const answer = await raw(proxy.port, 'POST', `/build?t=${P}-bk:1&version=2`, context, { 'content-type': 'application/x-tar' });
    expect(answer.status).toBe(403);
    expect(answer.json.message).toContain('[build-buildkit]');
  });
});
