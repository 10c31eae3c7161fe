/**
 * Ownership is proven by `cloud.helvetia.owner=<token>` (derived from PROXY_OWNER_SECRET), not by
 * `cloud.helvetia.managed=true` alone: on the real dockerd, objects made on the raw socket that
 * carry forged labels, or inherit our image's labels, are neither touchable nor visible through
 * the proxy, while what the proxy created stays fully usable.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_IMAGE, MANAGED_ONLY, NO_NET, WORKER_FLAGS, cleanup, contextTar, direct, existing, followProgress, raw, startProxy, uniquePrefix,
  type RunningProxy,
} from './proxy-harness.js';

const P = uniquePrefix();
/** A value someone without the secret might put on an image or object. */
const GUESS = randomBytes(32).toString('hex');
const FORGED = { ...MANAGED_ONLY, 'cloud.helvetia.owner': GUESS };
/** docker-compose.yml's worker proxy: companion services may add back only these. */
const CAP_ADD_ALLOW = 'CHOWN,SETUID,SETGID,DAC_OVERRIDE,FOWNER';

const FORGED_IMG = `${P}-forged:1`;
const OUR_IMG = `${P}-ours:1`;
let proxy: RunningProxy;
let docker: Docker;
let started = 0;
const ids = { fromForged: '', fromOurs: '', ownedFromOurs: '', foreignEvented: '', ownedEvented: '', ownedNet: '', forgedNet: '' };
const FORGED_VOL = `${P}-forged-vol`;
const OWNED_VOL = `${P}-owned-vol`;

/** Builds on the raw socket, as anyone with access to the host's Docker could. */
async function buildDirect(tag: string, dockerfile: string): Promise<void> {
  const stream = await direct().buildImage(Readable.from([await contextTar(dockerfile)]), { t: tag, networkmode: 'none', rm: true, forcerm: true, version: '1' } as Docker.ImageBuildOptions);
  await followProgress(direct(), stream);
}

/** Builds through the proxy, as the worker does. */
async function buildThroughProxy(tag: string, dockerfile: string, extra: Record<string, string> = {}): Promise<void> {
  const stream = await docker.buildImage(Readable.from([await contextTar(dockerfile)]), { t: tag, networkmode: 'none', rm: true, forcerm: true, version: '1', ...extra } as Docker.ImageBuildOptions);
  await followProgress(docker, stream);
}

/** What exists on the daemon under this file's prefix, order-independent. */
const snapshot = async (): Promise<Record<string, string[]>> =>
  Object.fromEntries(Object.entries(await existing(P)).map(([kind, names]) => [kind, [...names].sort()]));

const labelsOf = async (id: string): Promise<Record<string, string>> => (await direct().getContainer(id).inspect()).Config.Labels ?? {};

beforeAll(async () => {
  proxy = await startProxy({ ...WORKER_FLAGS, PROXY_CAP_ADD_ALLOW: CAP_ADD_ALLOW });
  docker = proxy.docker;
  started = Math.floor(Date.now() / 1000) - 1;
  const d = direct();
  // (a) A foreign image forging the managed label and a guessed owner token (a public image could).
  await buildDirect(FORGED_IMG, `FROM ${BASE_IMAGE}\nLABEL cloud.helvetia.managed=true\nLABEL cloud.helvetia.owner=${GUESS}\n`);
  const fromForged = await d.createContainer({ name: `${P}-from-forged`, Image: FORGED_IMG, Cmd: ['sleep', '300'], HostConfig: NO_NET });
  await fromForged.start();
  ids.fromForged = fromForged.id;
  // (b) Our image (its Dockerfile even forges the object token), then a container made from it on the raw socket.
  await buildThroughProxy(OUR_IMG, `FROM ${BASE_IMAGE}\nLABEL cloud.helvetia.owner=${proxy.config.owner.object}\n`);
  const fromOurs = await d.createContainer({ name: `${P}-from-ours`, Image: OUR_IMG, Cmd: ['sleep', '300'], HostConfig: NO_NET });
  await fromOurs.start();
  ids.fromOurs = fromOurs.id;
  const ownedFromOurs = await docker.createContainer({ name: `${P}-owned-from-ours`, Image: OUR_IMG, Cmd: ['sleep', '300'], HostConfig: NO_NET });
  await ownedFromOurs.start();
  ids.ownedFromOurs = ownedFromOurs.id;
  // Networks and volumes with forged labels, and owned ones.
  ids.forgedNet = (await d.createNetwork({ Name: `${P}-forged-net`, Labels: FORGED })).id;
  ids.ownedNet = (await docker.createNetwork({ Name: `${P}-owned-net`, Labels: { 'cloud.helvetia.owner': GUESS } })).id;
  await d.createVolume({ Name: FORGED_VOL, Labels: FORGED });
  await docker.createVolume({ Name: OWNED_VOL, Labels: { 'cloud.helvetia.owner': GUESS } });
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await cleanup(P);
});

const refused = (rule = 'not-owned') => expect.objectContaining({ statusCode: 403, message: expect.stringContaining(`[${rule}]`) });

/** Every lifecycle and read call the bot could make on a container, through the proxy: all refused, nothing changed. */
async function expectUntouchable(id: string, name: string): Promise<void> {
  for (const ref of [id, id.slice(0, 12), name]) {
    const c = docker.getContainer(ref);
    await expect(c.inspect(), ref).rejects.toEqual(refused());
    await expect(c.logs({ stdout: true }), ref).rejects.toEqual(refused());
    await expect(c.exec({ Cmd: ['id'], AttachStdout: true }), ref).rejects.toEqual(refused());
    await expect(c.stop({ t: 0 }), ref).rejects.toEqual(refused());
    await expect(c.kill(), ref).rejects.toEqual(refused());
    await expect(c.remove({ force: true }), ref).rejects.toEqual(refused());
  }
  const update = await raw(proxy.port, 'POST', `/v1.41/containers/${id}/update`, '{"Memory":6291456}');
  expect(update.status).toBe(403);
  expect(update.json.message).toContain('[not-owned]');
  const info = await direct().getContainer(id).inspect();
  expect(info.State.Running).toBe(true);
  expect(info.HostConfig.Memory).toBe(0);
}

describe('the owner token, not the managed label, makes an object ours', () => {
  it('(a) a container from a foreign image forging the labels is untouchable; the image cannot be removed or tagged over', async () => {
    // The container really shows the forged labels (inherited from its image).
    expect(await labelsOf(ids.fromForged)).toMatchObject(FORGED);
    await expectUntouchable(ids.fromForged, `${P}-from-forged`);
    await expect(docker.getImage(FORGED_IMG).remove({ force: true })).rejects.toEqual(refused());
    await expect(docker.getImage(OUR_IMG).tag({ repo: `${P}-forged`, tag: '1' })).rejects.toEqual(refused('image-tag'));
    const rebuild = await raw(proxy.port, 'POST', `/v1.41/build?t=${encodeURIComponent(FORGED_IMG)}&version=1`);
    expect(rebuild.status).toBe(403);
    expect(rebuild.json.message).toContain('[image-tag]');
    const image = await direct().getImage(FORGED_IMG).inspect();
    expect(image.Config.Labels).toMatchObject(FORGED);
    // Its ID is unchanged: nothing re-pointed the name.
    expect((await direct().getImage(FORGED_IMG).inspect()).Id).toBe(image.Id);
  });

  it('(a) networks and volumes forging the labels cannot be removed, joined or mounted; owned ones can', async () => {
    await expect(docker.getNetwork(ids.forgedNet).remove()).rejects.toEqual(refused());
    await expect(docker.getNetwork(`${P}-forged-net`).connect({ Container: ids.ownedFromOurs })).rejects.toEqual(refused());
    const joining = await raw(proxy.port, 'POST', `/v1.41/containers/create?name=${P}-join-forged`, JSON.stringify({ Image: BASE_IMAGE, HostConfig: { NetworkMode: `${P}-forged-net` } }));
    expect(joining.status).toBe(403);
    expect(joining.json.message).toContain('[not-owned]');
    await expect(docker.getVolume(FORGED_VOL).remove()).rejects.toEqual(refused());
    await expect(direct().getNetwork(ids.forgedNet).inspect()).resolves.toBeTruthy();
    await expect(direct().getVolume(FORGED_VOL).inspect()).resolves.toBeTruthy();
    await expect(direct().getContainer(`${P}-join-forged`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // The owned network was labelled ours over the client's own owner value, and can be used.
    expect((await direct().getNetwork(ids.ownedNet).inspect()).Labels).toEqual(proxy.labels.object);
    const joined = await docker.createContainer({ name: `${P}-join-owned`, Image: BASE_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: `${P}-owned-net` } });
    await joined.remove();
  });

  it('(b) an image built through the proxy carries the image token, whatever its Dockerfile says', async () => {
    // The build's labels come after the Dockerfile's LABEL lines: its forged object token is overridden.
    expect((await direct().getImage(OUR_IMG).inspect()).Config.Labels).toMatchObject(proxy.labels.image);
    // Also a multi-stage build stopping at an earlier stage that forges the labels.
    await buildThroughProxy(`${P}-ours:stage`, `FROM ${BASE_IMAGE} AS forging\nLABEL cloud.helvetia.managed=true cloud.helvetia.owner=${proxy.config.owner.image}x\nFROM ${BASE_IMAGE}\n`, { target: 'forging' });
    expect((await direct().getImage(`${P}-ours:stage`).inspect()).Config.Labels).toMatchObject(proxy.labels.image);
    // Ours: removable and re-taggable through the proxy.
    await docker.getImage(`${P}-ours:stage`).remove();
    await docker.getImage(OUR_IMG).tag({ repo: `${P}-ours`, tag: '2' });
    await docker.getImage(`${P}-ours:2`).remove();
  });

  it('(b) a container made from our image on the raw socket inherits the image token and is not ours; one made through the proxy is', async () => {
    expect(await labelsOf(ids.fromOurs)).toMatchObject(proxy.labels.image);
    await expectUntouchable(ids.fromOurs, `${P}-from-ours`);
    // Refused by full ID again: a refused ID was never remembered as owned.
    await expect(docker.getContainer(ids.fromOurs).inspect()).rejects.toEqual(refused());

    const owned = docker.getContainer(ids.ownedFromOurs);
    expect(await labelsOf(ids.ownedFromOurs)).toMatchObject(proxy.labels.object);
    expect((await owned.inspect()).Id).toBe(ids.ownedFromOurs);
    const exec = await owned.exec({ Cmd: ['true'] });
    expect(exec.id).toMatch(/^[0-9a-f]{64}$/);
    await owned.stop({ t: 0 });
    expect((await direct().getContainer(ids.ownedFromOurs).inspect()).State.Running).toBe(false);
  });

  it('(c) image, network, volume and container lists show owned objects only', async () => {
    const images = await docker.listImages();
    const tags = images.flatMap((i) => i.RepoTags ?? []);
    expect(tags).toContain(OUR_IMG);
    expect(tags).not.toContain(FORGED_IMG);
    expect(tags).not.toContain(BASE_IMAGE);
    expect(images.every((i) => i.Labels?.['cloud.helvetia.owner'] === proxy.config.owner.image)).toBe(true);
    // A client filter only narrows the list further.
    expect(await docker.listImages({ filters: { label: [`cloud.helvetia.owner=${GUESS}`] } })).toEqual([]);
    expect(await docker.listImages({ filters: { reference: [FORGED_IMG] } })).toEqual([]);

    const networks = await docker.listNetworks();
    expect(networks.map((n) => n.Id)).toContain(ids.ownedNet);
    expect(networks.map((n) => n.Id)).not.toContain(ids.forgedNet);
    expect(networks.map((n) => n.Name)).not.toContain('bridge');
    expect(networks.every((n) => n.Labels?.['cloud.helvetia.owner'] === proxy.config.owner.object)).toBe(true);
    expect(await docker.listNetworks({ filters: { name: [`${P}-forged-net`] } })).toEqual([]);

    const volumes = (await docker.listVolumes()).Volumes ?? [];
    expect(volumes.map((v) => v.Name)).toContain(OWNED_VOL);
    expect(volumes.map((v) => v.Name)).not.toContain(FORGED_VOL);
    expect(volumes.every((v) => v.Labels?.['cloud.helvetia.owner'] === proxy.config.owner.object)).toBe(true);

    const containers = (await docker.listContainers({ all: true })).map((c) => c.Id);
    expect(containers).toContain(ids.ownedFromOurs);
    expect(containers).not.toContain(ids.fromOurs);
    expect(containers).not.toContain(ids.fromForged);
    const byName = await docker.listContainers({ all: true, filters: { name: [`${P}-from-`] } });
    expect(byName).toEqual([]);
  });

  it('(d) /events shows events of owned containers and none of a foreign one', async () => {
    const foreign = await direct().createContainer({ name: `${P}-foreign-evented`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: FORGED, HostConfig: NO_NET });
    await foreign.start();
    await foreign.stop({ t: 0 });
    ids.foreignEvented = foreign.id;
    const owned = await docker.createContainer({ name: `${P}-owned-evented`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], HostConfig: NO_NET });
    await owned.start();
    await owned.stop({ t: 0 });
    ids.ownedEvented = owned.id;
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = await new Promise<Array<{ Type: string; Action: string; Actor: { ID: string } }>>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: proxy.port, path: `/v1.41/events?since=${started}&until=${until}`, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => (res.statusCode === 200 ? resolve(text.split('\n').filter(Boolean).map((l) => JSON.parse(l))) : reject(new Error(`${res.statusCode} ${text}`))));
      });
      req.on('error', reject);
    });
    const actors = new Set(events.map((e) => e.Actor.ID));
    const ownedActions = events.filter((e) => e.Actor.ID === ids.ownedEvented).map((e) => e.Action);
    expect(ownedActions).toEqual(expect.arrayContaining(['create', 'start', 'die']));
    expect(actors.has(ids.ownedFromOurs)).toBe(true);
    for (const id of [ids.foreignEvented, ids.fromForged, ids.fromOurs, ids.forgedNet]) expect(actors.has(id), id).toBe(false);
    expect(events.every((e) => e.Type === 'container')).toBe(true);
    // The daemon did record the foreign container's events: the proxy filtered them out.
    const rawEvents = await direct().getEvents({ since: started, until, filters: { container: [ids.foreignEvented] } });
    const rawText = await new Promise<string>((resolve) => {
      let t = '';
      rawEvents.on('data', (c: Buffer) => (t += c.toString('utf8')));
      rawEvents.on('end', () => resolve(t));
    });
    expect(rawText).toContain(ids.foreignEvented);
  });

  it('(e) volume create refuses every driver option: a host bind, and a tmpfs too', async () => {
    const before = await snapshot();
    for (const [name, opts] of [
      ['bind', { o: 'bind', type: 'none', device: '/' }],
      ['tmpfs', { type: 'tmpfs', device: 'tmpfs', o: 'size=16m' }],
      ['tmpfs-plain', { type: 'tmpfs', device: 'tmpfs' }],
    ] as const) {
      const answer = await raw(proxy.port, 'POST', '/v1.41/volumes/create', JSON.stringify({ Name: `${P}-opts-${name}`, Driver: 'local', DriverOpts: opts }));
      expect(answer.status, name).toBe(403);
      expect(answer.json.message, name).toContain('[volume-driver-opts]');
    }
    const driver = await raw(proxy.port, 'POST', '/v1.41/volumes/create', JSON.stringify({ Name: `${P}-opts-driver`, Driver: 'rexray' }));
    expect(driver.json.message).toContain('[volume-driver]');
    expect(await snapshot()).toEqual(before);
    // A plain named volume is still fine, labelled ours (a client's owner value is overridden).
    await docker.createVolume({ Name: `${P}-plain-vol`, Driver: 'local', Labels: { 'cloud.helvetia.owner': GUESS } });
    expect((await direct().getVolume(`${P}-plain-vol`).inspect()).Labels).toEqual(proxy.labels.object);
  });

  it('(f) containers mount owned named volumes only: foreign (even forged) and anonymous volumes are refused', async () => {
    const before = await snapshot();
    const create = (name: string, body: Record<string, unknown>) =>
      raw(proxy.port, 'POST', `/v1.41/containers/create?name=${P}-${name}`, JSON.stringify({ Image: BASE_IMAGE, Cmd: ['true'], ...body, HostConfig: { ...NO_NET, ...(body.HostConfig as object | undefined) } }));
    for (const [name, body, rule] of [
      ['mount-forged', { HostConfig: { Mounts: [{ Type: 'volume', Source: FORGED_VOL, Target: '/data' }] } }, 'not-owned'],
      ['bind-forged', { HostConfig: { Binds: [`${FORGED_VOL}:/data`] } }, 'not-owned'],
      ['bind-forged-ro', { HostConfig: { Binds: [`${OWNED_VOL}:/a`, `${FORGED_VOL}:/data:ro`] } }, 'not-owned'],
      ['mount-anon', { HostConfig: { Mounts: [{ Type: 'volume', Target: '/data' }] } }, 'anonymous-volume'],
      ['mount-anon-empty', { HostConfig: { Mounts: [{ Type: 'volume', Source: '', Target: '/data' }] } }, 'anonymous-volume'],
      ['bind-anon', { HostConfig: { Binds: ['/data'] } }, 'anonymous-volume'],
      ['config-anon', { Volumes: { '/data': {} } }, 'anonymous-volume'],
    ] as const) {
      const answer = await create(name, body);
      expect(answer.status, name).toBe(403);
      expect(answer.json.message, name).toContain(`[${rule}]`);
    }
    expect(await snapshot()).toEqual(before);
    // Owned named volumes, by Mounts and by Binds, and tmpfs mounts work.
    const ok = await create('mount-owned', {
      HostConfig: { Mounts: [{ Type: 'volume', Source: OWNED_VOL, Target: '/data' }, { Type: 'tmpfs', Target: '/scratch' }], Binds: [`${OWNED_VOL}:/again:ro`], Tmpfs: { '/run/x': 'size=1m' } },
    });
    expect(ok.status, ok.text).toBe(201);
    const mounts = (await direct().getContainer(`${P}-mount-owned`).inspect()).Mounts;
    expect(mounts.filter((m) => m.Type === 'volume').map((m) => m.Name)).toEqual([OWNED_VOL, OWNED_VOL]);
  });

  it('(g) CapAdd is limited to PROXY_CAP_ADD_ALLOW', async () => {
    for (const cap of ['SYS_ADMIN', 'NET_ADMIN', 'cap_sys_ptrace', 'KILL', 'ALL']) {
      const answer = await raw(proxy.port, 'POST', `/v1.41/containers/create?name=${P}-cap`, JSON.stringify({ Image: BASE_IMAGE, HostConfig: { ...NO_NET, CapDrop: ['ALL'], CapAdd: [cap] } }));
      expect(answer.status, cap).toBe(403);
      expect(answer.json.message, cap).toContain('[cap-add]');
    }
    await expect(direct().getContainer(`${P}-cap`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const ok = await docker.createContainer({ name: `${P}-cap-ok`, Image: BASE_IMAGE, Cmd: ['true'], HostConfig: { ...NO_NET, CapDrop: ['ALL'], CapAdd: CAP_ADD_ALLOW.split(',') } });
    expect(((await direct().getContainer(ok.id).inspect()).HostConfig.CapAdd ?? []).map((c: string) => c.replace(/^CAP_/, ''))).toEqual(CAP_ADD_ALLOW.split(','));
  });
});
