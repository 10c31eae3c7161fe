import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_IMAGE, WORKER_FLAGS, cleanup, contextTar, direct, existing, followProgress, startProxy, uniquePrefix, type RunningProxy,
} from './proxy-harness.js';

const P = uniquePrefix();
const EDGE = `${P}-edge`;
let proxy: RunningProxy;
let docker: Docker;

/** Collects a demultiplexed exec/attach stream until it ends. */
function collect(docker: Docker, stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    docker.modem.demuxStream(stream, out, out);
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

beforeAll(async () => {
  // The operator's edge network, created outside the proxy (compose), so not owned.
  await direct().createNetwork({ Name: EDGE, Labels: { 'proxytest.edge': P } });
  proxy = await startProxy({ ...WORKER_FLAGS, PROXY_ALLOWED_NETWORKS: EDGE });
  docker = proxy.docker;
});

afterAll(async () => {
  await proxy?.close();
  await cleanup(P);
});

describe("the worker's Docker flow through the proxy", () => {
  const image = `${P}-img:1`;
  let appId = '';

  it('pings and builds an image from a tar context, labelled as ours', async () => {
    expect((await docker.ping()).toString()).toBe('OK');
    const context = await contextTar(
      `FROM ${BASE_IMAGE}\nRUN echo built-through-proxy > /app/built.txt\nCMD ["sh","-c","cat /app/built.txt; exit 3"]\n`,
    );
    const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: image, labels: { 'cloud.helvetia.role': 'image' }, memory: 256 * 1024 * 1024, memswap: 256 * 1024 * 1024,
      cpuperiod: 100_000, cpuquota: 50_000, rm: true, forcerm: true, pull: false, networkmode: 'none',
    } as Docker.ImageBuildOptions);
    const output = await followProgress(docker, stream);
    expect(output.some((o) => typeof o.stream === 'string' && o.stream.includes('Successfully tagged'))).toBe(true);
    const info = await direct().getImage(image).inspect();
    expect(info.Config.Labels).toMatchObject({ ...proxy.labels.image, 'cloud.helvetia.role': 'image' });
  });

  it('creates, starts, waits for and reads the logs of a run-to-completion container', async () => {
    const container = await docker.createContainer({
      name: `${P}-run`, Image: image, Labels: { 'cloud.helvetia.role': 'probe' }, Cmd: ['sh', '-c', 'cat /app/built.txt; sleep 1; exit 3'],
      HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'], Memory: 64 * 1024 * 1024, PidsLimit: 64, NetworkMode: EDGE },
    });
    expect((await direct().getContainer(container.id).inspect()).Config.Labels).toMatchObject(proxy.labels.object);
    const waiting = container.wait({ condition: 'next-exit' });
    await container.start();
    expect(((await waiting) as { StatusCode: number }).StatusCode).toBe(3);
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    expect(logs.toString('utf8')).toContain('built-through-proxy');
    await container.remove({ force: true, v: true });
  });

  it('runs a hardened app on the edge network, execs into it (hijack and plain), stops and removes it', async () => {
    const app = await docker.createContainer({
      name: `${P}-app`, Image: image, Cmd: ['sh', '-c', 'echo app-started; exec sleep 300'], Labels: { 'cloud.helvetia.role': 'app' },
      Env: ['PORT=8080'], ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        Privileged: false, CapDrop: ['ALL'], CapAdd: [], SecurityOpt: ['no-new-privileges:true'], Memory: 64 * 1024 * 1024,
        MemorySwap: 64 * 1024 * 1024, NanoCpus: 5e8, PidsLimit: 64, Binds: [], Mounts: [], Devices: [], PublishAllPorts: false,
        NetworkMode: EDGE, LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      },
      NetworkingConfig: { EndpointsConfig: { [EDGE]: { Aliases: [`${P}-alias`] } } },
    });
    appId = app.id;
    await app.start();
    expect((await app.inspect()).State.Running).toBe(true);

    const hijacked = await app.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const duplex = (await hijacked.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream;
    const echoed = collect(docker, duplex);
    duplex.end('stdin-through-the-proxy\n');
    expect(await echoed).toContain('stdin-through-the-proxy');

    const plain = await app.exec({ Cmd: ['sh', '-c', 'echo plain-exec; hostname'], AttachStdout: true, AttachStderr: true });
    const output = await collect(docker, (await plain.start({})) as NodeJS.ReadableStream);
    expect(output).toContain('plain-exec');
    expect((await plain.inspect()).ExitCode).toBe(0);
  });

  it('creates an owned network, connects and disconnects the app, and removes the network', async () => {
    const network = await docker.createNetwork({ Name: `${P}-net`, Driver: 'bridge', Labels: { 'cloud.helvetia.role': 'net' } });
    expect((await direct().getNetwork(network.id).inspect()).Labels).toMatchObject(proxy.labels.object);
    await network.connect({ Container: appId, EndpointConfig: { Aliases: ['second'] } });
    let nets = (await direct().getContainer(appId).inspect()).NetworkSettings.Networks;
    expect(Object.keys(nets).sort()).toEqual([EDGE, `${P}-net`].sort());
    // The operator's edge network is not ours, yet an owned container may leave and re-join it.
    await docker.getNetwork(EDGE).disconnect({ Container: appId, Force: true });
    await docker.getNetwork(EDGE).connect({ Container: appId });
    await network.disconnect({ Container: appId });
    nets = (await direct().getContainer(appId).inspect()).NetworkSettings.Networks;
    expect(Object.keys(nets)).toEqual([EDGE]);
    await network.remove();
    expect((await existing(P)).networks).toEqual([EDGE]);
  });

  it('lists owned containers, stops and removes the app, then removes the image', async () => {
    const listed = await docker.listContainers({ all: true, filters: { label: ['cloud.helvetia.role=app'] } });
    expect(listed.map((c) => c.Id)).toContain(appId);
    const app = docker.getContainer(appId);
    await app.stop({ t: 1 });
    expect((await direct().getContainer(appId).inspect()).State.Running).toBe(false);
    await app.remove({ force: true, v: true });
    await expect(docker.getContainer(appId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await docker.getImage(image).remove({ force: false });
    const left = await existing(P);
    expect(left.containers).toEqual([]);
    expect(left.images).toEqual([]);
  });

  it('logs one line per request with method, path, client, decision, rule and duration', () => {
    const create = proxy.logs.find((l) => l.rule === 'containers.create');
    expect(create).toMatchObject({ method: 'POST', decision: 'allow', status: 201 });
    expect(typeof create?.durationMs).toBe('number');
    expect(String(create?.client)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(proxy.logs.filter((l) => l.rule === 'build')).toHaveLength(1);
  });
});
