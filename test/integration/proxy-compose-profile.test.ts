/**
 * `helvetia proxy` as deployed: the CLI process with docker-compose.yml's flags for the worker's
 * proxy, on the real dockerd. Proves the guidelines' "What's blocked" list on that exact profile,
 * the 403 message format, the compose health check, and that every request (also an unparsable
 * one) leaves a decision line: the audit trail.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeProxyEnv, composeService, startProxyProcess, type ProxyProcess } from '../helpers/proxy-process.js';
import { BASE_IMAGE, NO_NET, cleanup, direct, existing, raw, uniquePrefix } from './proxy-harness.js';

const P = uniquePrefix();
let proxy: ProxyProcess;
let port = 0;
let foreignId = '';
let forgedId = '';

beforeAll(async () => {
  proxy = await startProxyProcess();
  port = Number(new URL(proxy.dockerHost.replace('tcp:', 'http:')).port);
  // Stands for the proxy, Redis and every other container on the host: created on the raw socket.
  const foreign = await direct().createContainer({ name: `${P}-foreign`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], HostConfig: NO_NET });
  await foreign.start();
  foreignId = foreign.id;
  // Carries the managed label and a guessed owner token (as a public image could): still foreign.
  const forged = await direct().createContainer({ name: `${P}-forged`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], Labels: { 'cloud.helvetia.managed': 'true', 'cloud.helvetia.owner': 'guess' }, HostConfig: NO_NET });
  await forged.start();
  forgedId = forged.id;
});

afterAll(async () => {
  await proxy?.process.stop();
  await cleanup(P);
});

const create = (name: string, hostConfig: object): [string, string, string] => [
  'POST', `/v1.41/containers/create?name=${P}-${name}`, JSON.stringify({ Image: BASE_IMAGE, Cmd: ['true'], HostConfig: { ...NO_NET, ...hostConfig } }),
];

/** The guidelines' and quick start's "What's blocked", each on the compose profile. */
const BLOCKED: Array<{ what: string; req: () => [string, string, string?]; rule: string }> = [
  { what: 'privileged container', req: () => create('priv', { Privileged: true }), rule: 'privileged' },
  { what: 'host root bind (unrestricted volume mount)', req: () => create('root', { Binds: ['/:/host:ro'] }), rule: 'host-bind' },
  { what: '/home bind even read-only (WORKSPACE_DIR=none)', req: () => create('home', { Binds: ['/home:/h:ro'] }), rule: 'host-bind' },
  { what: 'Docker socket bind', req: () => create('sock', { Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/s', ReadOnly: true }] }), rule: 'host-bind' },
  { what: 'swarm init', req: () => ['POST', '/v1.41/swarm/init', '{}'], rule: 'endpoint' },
  { what: 'swarm service create (PROXY_PROFILE=swarm only)', req: () => ['POST', '/v1.41/services/create', '{}'], rule: 'profile' },
  { what: 'swarm service list (PROXY_PROFILE=swarm only)', req: () => ['GET', '/v1.41/services'], rule: 'profile' },
  { what: 'stopping a container the bot did not create', req: () => ['POST', `/v1.41/containers/${foreignId}/stop`], rule: 'not-owned' },
  { what: 'removing a container the bot did not create', req: () => ['DELETE', `/v1.41/containers/${foreignId}?force=1`], rule: 'not-owned' },
  { what: 'exec into any container (EXEC=0)', req: () => ['POST', `/v1.41/containers/${foreignId}/exec`, '{"Cmd":["id"]}'], rule: 'flag' },
  { what: 'restarting or killing a container the bot did not create', req: () => ['POST', `/v1.41/containers/${foreignId}/kill`], rule: 'not-owned' },
  { what: 'stopping a container with a forged ownership label', req: () => ['POST', `/v1.41/containers/${forgedId}/stop`], rule: 'not-owned' },
  { what: 'volume create binding a host path (driver options)', req: () => ['POST', '/v1.41/volumes/create', JSON.stringify({ Name: `${P}-vol`, DriverOpts: { o: 'bind', type: 'none', device: '/' } })], rule: 'volume-driver-opts' },
  { what: 'volume create with tmpfs driver options', req: () => ['POST', '/v1.41/volumes/create', JSON.stringify({ Name: `${P}-vol`, DriverOpts: { type: 'tmpfs', device: 'tmpfs' } })], rule: 'volume-driver-opts' },
  { what: 'anonymous volume', req: () => create('anon', { Mounts: [{ Type: 'volume', Target: '/data' }] }), rule: 'anonymous-volume' },
  { what: 'CapAdd beyond the companion-services set', req: () => create('cap', { CapDrop: ['ALL'], CapAdd: ['NET_ADMIN'] }), rule: 'cap-add' },
  { what: 'CapAdd of a Docker default outside PROXY_CAP_ADD_ALLOW', req: () => create('kill', { CapDrop: ['ALL'], CapAdd: ['KILL'] }), rule: 'cap-add' },
  { what: 'system info (INFO=0)', req: () => ['GET', '/v1.41/info'], rule: 'flag' },
  { what: 'system-wide build cache prune', req: () => ['POST', '/v1.41/build/prune'], rule: 'endpoint' },
  { what: 'API older than 1.24', req: () => ['POST', `/v1.23/containers/${foreignId}/start`, '{"Privileged":true}'], rule: 'api-version' },
];

describe('the compose profile of `helvetia proxy` (CLI process, real dockerd)', () => {
  it('passes the compose health check (GET /_ping)', async () => {
    // Compose runs ["CMD", "node", "-e", <script>] against 127.0.0.1:2375, its PROXY_LISTEN port.
    expect(composeProxyEnv().PROXY_LISTEN).toBe('0.0.0.0:2375');
    const [, node, flag, script] = composeService('docker-proxy').healthcheck?.test ?? [];
    expect([node, flag]).toEqual(['node', '-e']);
    await expect(promisify(execFile)(process.execPath, ['-e', script!.replace('127.0.0.1:2375', `127.0.0.1:${port}`)])).resolves.toBeDefined();
  });

  it.each(BLOCKED)('refuses $what with 403 [$rule], creates nothing, logs the decision', async ({ req, rule }) => {
    const [method, path, body] = req();
    const before = await existing(P);
    const answer = await raw(port, method, path, body);
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(Object.keys(answer.json)).toEqual(['message']);
    expect(answer.json.message).toMatch(new RegExp(`^refused by helvetia proxy \\[${rule}\\]: .+`));
    expect(await existing(P)).toEqual(before);
    await expect.poll(() => proxy.decisions().filter((d) => d.path === path.split('?')[0]), { timeout: 5_000 })
      .toContainEqual(expect.objectContaining({ method, decision: 'deny', rule, status: 403 }));
  });

  it('left the foreign containers running', async () => {
    expect((await direct().getContainer(foreignId).inspect()).State.Running).toBe(true);
    expect((await direct().getContainer(forgedId).inspect()).State.Running).toBe(true);
  });

  it('answers an unparsable request with 400 and logs it too', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = net.connect(port, '127.0.0.1', () => socket.write('BREW /coffee HTCPCP/1.0\r\n\r\n'));
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await expect.poll(() => proxy.decisions(), { timeout: 5_000 }).toContainEqual(expect.objectContaining({ decision: 'deny', rule: 'malformed', status: 400 }));
  });
});
