import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { createLogger } from '../../src/logger.js';
import { loadProxyConfig, type ProxyConfig } from '../../src/proxy/config.js';
import { OwnerTokens } from '../../src/proxy/labels.js';
import { createProxyServer, type ProxyServer } from '../../src/proxy/server.js';

export const SOCKET = process.env.TEST_DOCKER_SOCKET ?? '/var/run/docker.sock';
export const BASE_IMAGE = 'helvetia-base:latest';
/** The managed label alone: what a forged or foreign object carries. It proves nothing. */
export const MANAGED_ONLY = { 'cloud.helvetia.managed': 'true' };
/**
 * Test containers and builds stay off the default bridge: they need no network, and docker0 may
 * vanish while other suites start throwaway daemons on this machine.
 */
export const NO_NET = { NetworkMode: 'none' } as const;

/** Unique prefix for every object a test file creates; cleanup only ever touches these. */
export const uniquePrefix = (): string => `proxytest-${randomBytes(4).toString('hex')}`;

/** Flags the worker needs (the guidelines' compose file). */
export const WORKER_FLAGS = {
  CONTAINERS: '1', IMAGES: '1', BUILD: '1', NETWORKS: '1', VOLUMES: '1', EXEC: '1', POST: '1', ALLOW_START: '1', ALLOW_STOP: '1',
  // The worker builds helvetia/<repo>:<sha>; test images carry the file's prefix instead.
  PROXY_IMAGE_PREFIXES: 'helvetia/,proxytest-',
};

export interface RunningProxy {
  port: number;
  config: Readonly<ProxyConfig>;
  /** Its PROXY_OWNER_SECRET (random per proxy unless the test gave one). */
  ownerSecret: string;
  /**
   * The labels this proxy forces on what it creates, and requires to touch an object: `object` for
   * containers, networks and volumes, `image` for images. Tests that plant "owned" objects directly
   * on the socket use these.
   */
  labels: { object: Record<string, string>; image: Record<string, string> };
  /** dockerode talking to the proxy over TCP, as the worker does. */
  docker: Docker;
  /** Parsed pino lines written by the proxy. */
  logs: Array<Record<string, unknown>>;
  proxy: ProxyServer;
  close(): Promise<void>;
}

/** A fresh PROXY_OWNER_SECRET for a test proxy. */
export const ownerSecret = (): string => randomBytes(32).toString('hex');

/** The labels of objects owned by a proxy started with `secret`. */
export const ownerLabels = (secret: string): RunningProxy['labels'] => {
  const owner = new OwnerTokens(secret);
  return { object: owner.labels('object'), image: owner.labels('image') };
};

export async function startProxy(env: Record<string, string> = {}): Promise<RunningProxy> {
  const secret = env.PROXY_OWNER_SECRET ?? ownerSecret();
  const config = loadProxyConfig({ PROXY_LISTEN: '127.0.0.1:0', DOCKER_SOCKET: SOCKET, ...env, PROXY_OWNER_SECRET: secret });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const proxy = createProxyServer(config, createLogger({ level: 'info' }, sink));
  const { port, address, family } = await proxy.listen();
  return {
    port, config, logs, proxy, ownerSecret: secret, labels: ownerLabels(secret),
    docker: family === 'unix' ? new Docker({ socketPath: address }) : new Docker({ host: '127.0.0.1', port }), close: () => proxy.close(),
  };
}

/** dockerode on the raw socket: the test's view of what really exists on the daemon. */
export const direct = (): Docker => new Docker({ socketPath: SOCKET });

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: { message?: string } & Record<string, unknown>;
}

/** A raw HTTP request to the proxy (full control over method, path, headers and body framing). */
export function raw(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer | string[],
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = {};
        try {
          json = JSON.parse(text) as object;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      // Sent as separate chunks of a chunked body.
      req.setHeader('content-type', 'application/json');
      for (const part of body) req.write(part);
    } else if (body !== undefined) {
      if (!headers['content-type']) req.setHeader('content-type', 'application/json');
      req.write(body);
    }
    req.end();
  });
}

/** A build context tar with a Dockerfile (and optional extra files). */
export async function contextTar(dockerfile: string, files: Record<string, string> = {}): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const [name, content] of Object.entries({ Dockerfile: dockerfile, ...files })) pack.entry({ name }, content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Follows a build or pull progress stream to the end; rejects on an error message. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<Record<string, unknown>>) => {
      if (error) return reject(error);
      const failed = output.find((o) => o.error);
      if (failed) return reject(new Error(String(failed.error)));
      resolve(output);
    });
  });
}

/** Everything on the daemon whose name starts with `prefix`, read on the raw socket. */
export async function existing(prefix: string): Promise<{ containers: string[]; networks: string[]; volumes: string[]; images: string[] }> {
  const d = direct();
  const [containers, networks, volumes, images] = await Promise.all([
    d.listContainers({ all: true }),
    d.listNetworks(),
    d.listVolumes(),
    d.listImages(),
  ]);
  return {
    containers: containers.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))).filter((n) => n.startsWith(prefix)),
    networks: networks.map((n) => n.Name).filter((n) => n.startsWith(prefix)),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).filter((n) => n.startsWith(prefix)),
    images: images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.includes(prefix)),
  };
}

/** Removes this file's objects (by name prefix only), directly on the socket. */
export async function cleanup(prefix: string): Promise<void> {
  const d = direct();
  const found = await existing(prefix);
  const quiet = async (p: Promise<unknown>): Promise<void> => {
    await p.catch(() => undefined);
  };
  await Promise.all(found.containers.map((c) => quiet(d.getContainer(c).remove({ force: true, v: true }))));
  await Promise.all(found.networks.map((n) => quiet(d.getNetwork(n).remove())));
  await Promise.all(found.volumes.map((v) => quiet(d.getVolume(v).remove())));
  for (const image of found.images) await quiet(d.getImage(image).remove({ force: true }));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
