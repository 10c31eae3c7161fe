/**
 * Images reach a cluster through its registry: a builder builds an owned image, pushes it through
 * the proxy to REGISTRY_URL, and the service runs it by digest. The registry (Debian's
 * docker-registry) and the swarm daemon share a network namespace of their own: nothing leaves it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/test-daemon.js';
import { spec } from './proxy-swarm-spec.js';
import { contextTar, followProgress, raw, sleep, startProxy, type RunningProxy } from './proxy-harness.js';

const P = 'hvswp-reg';
const REGISTRY = '127.0.0.1:5000';
const daemon = new TestDaemon();
let registry: ChildProcess | undefined;
let proxy: RunningProxy;

/** True once something accepts TCP on the registry's port inside the namespace. */
const registryUp = (): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = spawn('ip', ['netns', 'exec', daemon.netns, 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/5000'], { stdio: 'ignore' });
    probe.on('exit', (code) => resolve(code === 0));
  });

beforeAll(async () => {
  await daemon.start();
  await daemon.importBaseImage();
  await daemon.swarmInit();
  await daemon.client().createNetwork({ Name: `${P}-edge`, Driver: 'overlay', Attachable: true });
  writeFileSync(`${daemon.dir}/registry.yml`, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${daemon.dir}/registry\nhttp:\n  addr: ${REGISTRY}\nlog:\n  level: error\n`);
  registry = spawn('ip', ['netns', 'exec', daemon.netns, 'docker-registry', 'serve', `${daemon.dir}/registry.yml`], { stdio: 'ignore' });
  for (let i = 0; !(await registryUp()); i++) {
    if (i > 100) throw new Error('docker-registry did not start');
    await sleep(100);
  }
  proxy = await startProxy({
    PROXY_PROFILE: 'swarm', SERVICES: '1', TASKS: '1', IMAGES: '1', BUILD: '1', POST: '1', NETWORKS: '1',
    PROXY_IMAGE_PREFIXES: 'helvetia-', EDGE_NETWORK: `${P}-edge`, REGISTRY_URL: `http://${REGISTRY}`, DOCKER_SOCKET: daemon.socket,
  });
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  registry?.kill('SIGTERM');
  await daemon.destroy();
}, 120_000);

describe('build, push to REGISTRY_URL, deploy by digest', () => {
  it('an owned image is pushed with X-Registry-Auth and runs as a service by digest; a tag is refused', async () => {
    const name = `${REGISTRY}/helvetia-app`;
    const build = await proxy.docker.buildImage(await contextTar('FROM helvetia-base:latest\nCMD ["sleep", "300"]\n') as never, { t: `${name}:1` });
    await followProgress(proxy.docker, build);
    const push = await proxy.docker.getImage(name).push({ tag: '1', authconfig: { serveraddress: REGISTRY, username: 'builder', password: 'unused' } });
    const progress = await followProgress(proxy.docker, push);
    const digest = String((progress.find((p) => p.aux) as { aux?: { Digest?: string } } | undefined)?.aux?.Digest ?? '');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(proxy.logs).toContainEqual(expect.objectContaining({ rule: 'images.push', decision: 'allow', status: 200 }));

    const byTag = await raw(proxy.port, 'POST', '/v1.41/services/create', JSON.stringify(spec(`${P}-tag`, `${P}-edge`, (s) => (s.TaskTemplate.ContainerSpec.Image = `${name}:1`))));
    expect(byTag.json.message).toMatch(/^refused by helvetia proxy \[image-name\]: .*@sha256/);

    const created = await raw(proxy.port, 'POST', '/v1.41/services/create', JSON.stringify(spec(`${P}-app`, `${P}-edge`, (s) => (s.TaskTemplate.ContainerSpec.Image = `${name}@${digest}`))), {
      'X-Registry-Auth': Buffer.from(JSON.stringify({ serveraddress: REGISTRY })).toString('base64'),
    });
    expect(created.status, created.text).toBe(201);
    const id = String(created.json.ID);
    let state = '';
    for (let i = 0; i < 240 && state !== 'running'; i++) {
      const tasks = (await raw(proxy.port, 'GET', '/v1.41/tasks')).json as unknown as Array<{ ServiceID: string; Status: { State: string; Err?: string } }>;
      state = tasks.find((t) => t.ServiceID === id)?.Status.State ?? '';
      await sleep(250);
    }
    expect(state).toBe('running');
    expect((await daemon.client().getService(id).inspect()).Spec.TaskTemplate.ContainerSpec.Image).toBe(`${name}@${digest}`);
  });

  it('an image that is not the bot\'s is not pushed, even under the registry and the prefixes', async () => {
    await daemon.client().getImage('helvetia-base:latest').tag({ repo: `${REGISTRY}/helvetia-base`, tag: 'planted' });
    const answer = await raw(proxy.port, 'POST', `/v1.41/images/${REGISTRY}/helvetia-base/push?tag=planted`);
    expect(answer.json.message).toMatch(/^refused by helvetia proxy \[not-owned\]/);
    // The pushed reference is the tag's, not the bare name's: an owned :1 does not cover a foreign :planted.
    await daemon.client().getImage('helvetia-base:latest').tag({ repo: `${REGISTRY}/helvetia-app`, tag: 'planted' });
    expect((await raw(proxy.port, 'POST', `/v1.41/images/${REGISTRY}/helvetia-app/push?tag=planted`)).json.message).toMatch(/\[not-owned\]/);
  });
});
