import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, NO_NET, WORKER_FLAGS, cleanup, contextTar, direct, raw, startProxy, uniquePrefix, type RunningProxy } from './proxy-harness.js';

const P = uniquePrefix();
let proxy: RunningProxy;
let docker: Docker;
let foreignId = '';
let ownedId = '';
const FOREIGN_NET = `${P}-foreign-net`;
const FOREIGN_VOL = `${P}-foreign-vol`;
const FOREIGN_IMG = `${P}-foreign-img:1`;

beforeAll(async () => {
  proxy = await startProxy(WORKER_FLAGS);
  docker = proxy.docker;
  // Objects created on the raw socket stand for the proxy, Redis and everything else on the host.
  const d = direct();
  const foreign = await d.createContainer({ name: `${P}-foreign`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: { 'cloud.helvetia.managed': 'false' }, HostConfig: NO_NET });
  await foreign.start();
  foreignId = foreign.id;
  await d.createNetwork({ Name: FOREIGN_NET });
  await d.createVolume({ Name: FOREIGN_VOL });
  await d.getImage(BASE_IMAGE).tag({ repo: `${P}-foreign-img`, tag: '1' });
  const owned = await docker.createContainer({ name: `${P}-owned`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], HostConfig: NO_NET });
  await owned.start();
  ownedId = owned.id;
});

afterAll(async () => {
  await proxy?.close();
  await cleanup(P);
});

const refusal = { statusCode: 403 };

describe('objects not created through the proxy cannot be touched', () => {
  it('a foreign container cannot be stopped, killed, removed, exec-ed, archived, inspected or read', async () => {
    const c = docker.getContainer(`${P}-foreign`);
    await expect(c.stop({ t: 0 })).rejects.toMatchObject(refusal);
    await expect(c.kill()).rejects.toMatchObject(refusal);
    await expect(c.remove({ force: true })).rejects.toMatchObject(refusal);
    await expect(c.exec({ Cmd: ['id'], AttachStdout: true })).rejects.toMatchObject(refusal);
    await expect(c.inspect()).rejects.toMatchObject(refusal);
    await expect(c.logs({ stdout: true })).rejects.toMatchObject(refusal);
    await expect(c.getArchive({ path: '/etc/passwd' })).rejects.toMatchObject(refusal);
    await expect(c.putArchive(await contextTar('x'), { path: '/tmp' })).rejects.toMatchObject(refusal);
    await expect(docker.getContainer(foreignId).restart()).rejects.toMatchObject(refusal);
    const byId = await raw(proxy.port, 'DELETE', `/v1.41/containers/${foreignId.slice(0, 12)}?force=1`);
    expect(byId.status).toBe(403);
    expect(byId.json.message).toContain('[not-owned]');
    expect((await direct().getContainer(foreignId).inspect()).State.Running).toBe(true);
  });

  it('an exec created directly on a foreign container cannot be started through the proxy', async () => {
    const exec = await direct().getContainer(foreignId).exec({ Cmd: ['id'], AttachStdout: true });
    const answer = await raw(proxy.port, 'POST', `/exec/${exec.id}/start`, '{"Detach":true}');
    expect(answer.status).toBe(403);
    expect(answer.json.message).toContain('[not-owned]');
    expect((await direct().getExec(exec.id).inspect()).Running).toBe(false);
  });

  it('container lists only show owned containers, whatever filter the client sends', async () => {
    const all = await docker.listContainers({ all: true });
    expect(all.every((c) => c.Labels['cloud.helvetia.managed'] === 'true')).toBe(true);
    expect(all.map((c) => c.Id)).toContain(ownedId);
    expect(all.map((c) => c.Id)).not.toContain(foreignId);
    const byName = await docker.listContainers({ all: true, filters: { name: [`${P}-foreign`] } });
    expect(byName).toEqual([]);
    const legacy = await raw(proxy.port, 'GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: { 'cloud.helvetia.managed=false': true } }))}`);
    expect(legacy.status).toBe(200);
    expect(legacy.json).toEqual([]);
  });

  it('owned containers cannot join or borrow from foreign ones', async () => {
    const net = docker.getNetwork(FOREIGN_NET);
    await expect(net.connect({ Container: ownedId })).rejects.toMatchObject(refusal);
    await expect(docker.getNetwork('bridge').connect({ Container: foreignId })).rejects.toMatchObject(refusal);
    await expect(docker.getNetwork('bridge').disconnect({ Container: foreignId, Force: true })).rejects.toMatchObject(refusal);
    const cases: Array<Record<string, unknown>> = [
      { HostConfig: { NetworkMode: FOREIGN_NET } },
      { HostConfig: { VolumesFrom: [`${P}-foreign`] } },
      { HostConfig: { Links: [`${P}-foreign:db`] } },
      { HostConfig: { Binds: [`${FOREIGN_VOL}:/data`] } },
      { HostConfig: { Mounts: [{ Type: 'volume', Source: FOREIGN_VOL, Target: '/data' }] } },
      { NetworkingConfig: { EndpointsConfig: { [FOREIGN_NET]: {} } } },
    ];
    for (const extra of cases) {
      const answer = await raw(proxy.port, 'POST', `/containers/create?name=${P}-borrow`, JSON.stringify({ Image: BASE_IMAGE, ...extra, HostConfig: { ...NO_NET, ...(extra.HostConfig as object | undefined) } }));
      expect(answer.status, JSON.stringify(extra)).toBe(403);
      expect(answer.json.message).toContain('[not-owned]');
    }
    // The host network named by its ID would look "user-defined" to dockerd.
    const hostId = (await direct().getNetwork('host').inspect()).Id as string;
    const byId = await raw(proxy.port, 'POST', `/containers/create?name=${P}-borrow`, JSON.stringify({ Image: BASE_IMAGE, HostConfig: { NetworkMode: hostId.slice(0, 12) } }));
    expect(byId.status).toBe(403);
    expect(byId.json.message).toContain('[network-driver]');
    await expect(direct().getContainer(`${P}-borrow`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('foreign networks, volumes and images cannot be removed or re-tagged', async () => {
    await expect(docker.getNetwork(FOREIGN_NET).remove()).rejects.toMatchObject(refusal);
    await expect(docker.getVolume(FOREIGN_VOL).remove()).rejects.toMatchObject(refusal);
    await expect(docker.getImage(FOREIGN_IMG).remove({ force: true })).rejects.toMatchObject(refusal);
    await expect(docker.getImage(BASE_IMAGE).tag({ repo: `${P}-foreign-img`, tag: '1' })).rejects.toMatchObject(refusal);
    const d = direct();
    await expect(d.getNetwork(FOREIGN_NET).inspect()).resolves.toBeTruthy();
    await expect(d.getVolume(FOREIGN_VOL).inspect()).resolves.toBeTruthy();
    await expect(d.getImage(FOREIGN_IMG).inspect()).resolves.toBeTruthy();
  });

  it('owned volumes, prunes and missing objects behave like dockerd', async () => {
    const vol = await docker.createVolume({ Name: `${P}-vol` });
    expect((await direct().getVolume(`${P}-vol`).inspect()).Labels).toEqual(proxy.labels.object);
    const user = await docker.createContainer({ name: `${P}-user`, Image: BASE_IMAGE, Cmd: ['true'], HostConfig: { ...NO_NET, Binds: [`${P}-vol:/data:ro`] } });
    await user.remove();
    await docker.getVolume(vol.name).remove();
    // Missing objects answer dockerd's own 404, so "not found" handling in the worker keeps working.
    await expect(docker.getContainer(`${P}-missing`).remove({ force: true })).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getContainer(`${P}-missing`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // Prune is scoped to owned objects: the foreign, stopped container survives. (The extra
    // proxytest label keeps this prune away from other suites' owned containers.)
    const scope = { proxytest: P };
    const stopped = await direct().createContainer({ name: `${P}-foreign-stopped`, Image: BASE_IMAGE, Cmd: ['true'], Labels: scope, HostConfig: NO_NET });
    const ownedStopped = await docker.createContainer({ name: `${P}-owned-stopped`, Image: BASE_IMAGE, Cmd: ['true'], Labels: scope, HostConfig: NO_NET });
    const filters = encodeURIComponent(JSON.stringify({ label: [`proxytest=${P}`] }));
    const pruned = await raw(proxy.port, 'POST', `/containers/prune?filters=${filters}`);
    expect(pruned.status).toBe(200);
    expect(pruned.json.ContainersDeleted).toEqual([ownedStopped.id]);
    await expect(direct().getContainer(stopped.id).inspect()).resolves.toBeTruthy();
  });
});
