import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_IMAGE, NO_NET, WORKER_FLAGS, cleanup, contextTar, direct, existing, raw, startProxy, uniquePrefix, type RunningProxy,
} from './proxy-harness.js';

const P = uniquePrefix();
let proxy: RunningProxy;
let ownedId = '';

const create = (name: string, hostConfig: object, extra: object = {}): [string, string, string] => [
  'POST',
  `/v1.41/containers/create?name=${P}-${name}`,
  JSON.stringify({ Image: BASE_IMAGE, Cmd: ['sleep', '30'], HostConfig: { ...NO_NET, ...hostConfig }, ...extra }),
];

/** Each forbidden request, the rule it must be refused under. Names carry the prefix so leaks are visible. */
const CASES: Array<{ what: string; req: () => [string, string, string?]; rule: string }> = [
  { what: 'privileged container (the issue example)', req: () => create('priv', { Privileged: true, Binds: ['/:/host'] }), rule: 'privileged' },
  { what: 'privileged, lower-case key', req: () => ['POST', `/containers/create?name=${P}-priv2`, `{"Image":"${BASE_IMAGE}","HostConfig":{"privileged":true}}`], rule: 'privileged' },
  { what: 'duplicate key hiding privileged', req: () => ['POST', `/containers/create?name=${P}-dup`, `{"Image":"${BASE_IMAGE}","HostConfig":{"Privileged":false,"Privileged":true}}`], rule: 'json-duplicate-key' },
  { what: 'case-variant duplicate key', req: () => ['POST', `/containers/create?name=${P}-dup2`, `{"Image":"${BASE_IMAGE}","HostConfig":{"Privileged":false,"privileged":true}}`], rule: 'json-duplicate-key' },
  { what: 'legacy top-level HostConfig fields', req: () => ['POST', `/containers/create?name=${P}-legacy`, `{"Image":"${BASE_IMAGE}","Privileged":true}`], rule: 'unknown-field' },
  { what: 'bind of the host root', req: () => create('root', { Binds: ['/:/host'] }), rule: 'host-bind' },
  { what: 'bind of the Docker socket', req: () => create('sock', { Binds: ['/var/run/docker.sock:/var/run/docker.sock'] }), rule: 'host-bind' },
  { what: 'bind of /etc via Mounts', req: () => create('etc', { Mounts: [{ Type: 'bind', Source: '/etc', Target: '/e', ReadOnly: true }] }), rule: 'host-bind' },
  { what: 'workspace mounted read-write', req: () => create('wsrw', { Binds: ['/tmp/helvetia-workspaces:/workspaces'] }), rule: 'host-bind-rw' },
  { what: 'anonymous volume with bind driver options', req: () => create('vbind', { Mounts: [{ Type: 'volume', Target: '/v', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }] }), rule: 'volume-driver-opts' },
  { what: 'CapAdd SYS_ADMIN', req: () => create('cap', { CapAdd: ['SYS_ADMIN'] }), rule: 'cap-add' },
  { what: 'host device', req: () => create('dev', { Devices: [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }] }), rule: 'devices' },
  { what: 'host PID namespace', req: () => create('pid', { PidMode: 'host' }), rule: 'namespace' },
  { what: 'host network', req: () => create('net', { NetworkMode: 'host' }), rule: 'namespace' },
  { what: 'host UTS namespace', req: () => create('uts', { UTSMode: 'host' }), rule: 'namespace' },
  { what: 'host user namespace', req: () => create('userns', { UsernsMode: 'host' }), rule: 'namespace' },
  { what: "another container's IPC namespace", req: () => create('ipc', { IpcMode: `container:${ownedId}` }), rule: 'namespace' },
  { what: 'unconfined seccomp', req: () => create('seccomp', { SecurityOpt: ['seccomp=unconfined'] }), rule: 'security-opt' },
  { what: 'unconfined apparmor', req: () => create('apparmor', { SecurityOpt: ['apparmor=unconfined'] }), rule: 'security-opt' },
  { what: 'label disabling', req: () => create('label', { SecurityOpt: ['label=disable'] }), rule: 'security-opt' },
  { what: 'custom runtime', req: () => create('runtime', { Runtime: 'runsc' }), rule: 'runtime' },
  { what: 'privileged exec', req: () => ['POST', `/containers/${ownedId}/exec`, JSON.stringify({ Cmd: ['id'], Privileged: true })], rule: 'privileged' },
  { what: 'volume with bind driver options', req: () => ['POST', '/volumes/create', JSON.stringify({ Name: `${P}-vol`, DriverOpts: { type: 'none', o: 'bind', device: '/etc' } })], rule: 'volume-driver-opts' },
  { what: 'macvlan network', req: () => ['POST', '/networks/create', JSON.stringify({ Name: `${P}-macvlan`, Driver: 'macvlan' })], rule: 'network-driver' },
  { what: 'host network driver', req: () => ['POST', '/networks/create', JSON.stringify({ Name: `${P}-hostnet`, Driver: 'host' })], rule: 'network-driver' },
  { what: 'build with networkmode=host', req: () => ['POST', `/build?t=${P}-hostbuild:1&networkmode=host`], rule: 'build-networkmode' },
  { what: 'build from a remote context', req: () => ['POST', `/build?t=${P}-remote:1&remote=http%3A%2F%2F127.0.0.1%3A1%2Fctx.tar`], rule: 'build-remote' },
  { what: 'BuildKit build', req: () => ['POST', `/build?t=${P}-bk:1&version=2`], rule: 'build-buildkit' },
  { what: 'build re-pointing an existing foreign tag', req: () => ['POST', `/build?t=${P}-foreign:1`], rule: 'image-tag' },
  { what: 'build seeding a name outside PROXY_IMAGE_PREFIXES', req: () => ['POST', `/build?t=redis-${P}:7`], rule: 'image-name' },
  { what: 'image import from URL', req: () => ['POST', `/images/create?fromSrc=http%3A%2F%2F127.0.0.1%3A1%2Frootfs.tar&repo=${P}-import`], rule: 'image-import' },
  { what: 'image load (a tarball can re-point any tag)', req: () => ['POST', '/images/load'], rule: 'method' },
  { what: 'API version below 1.24', req: () => ['POST', `/v1.23/containers/create?name=${P}-old`, JSON.stringify({ Image: BASE_IMAGE })], rule: 'api-version' },
  { what: 'swarm init', req: () => ['POST', '/v1.41/swarm/init', '{}'], rule: 'endpoint' },
  { what: 'swarm via dot segments', req: () => ['POST', '/v1.41/containers/../swarm/init', '{}'], rule: 'endpoint' },
  { what: 'swarm via %2F', req: () => ['POST', '/v1.41/containers%2F..%2Fswarm%2Finit', '{}'], rule: 'endpoint' },
  { what: 'system-wide build cache prune', req: () => ['POST', '/build/prune'], rule: 'endpoint' },
  { what: 'plugin install', req: () => ['POST', '/plugins/pull?remote=vieux/sshfs', '[]'], rule: 'endpoint' },
];

beforeAll(async () => {
  proxy = await startProxy(WORKER_FLAGS);
  // A name inside the allowed prefixes that already belongs to someone else.
  await direct().getImage(BASE_IMAGE).tag({ repo: `${P}-foreign`, tag: '1' });
  const owned = await proxy.docker.createContainer({ name: `${P}-owned`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], HostConfig: NO_NET });
  await owned.start();
  ownedId = owned.id;
});

afterAll(async () => {
  await proxy?.close();
  await cleanup(P);
});

describe('forbidden requests are refused with 403 and create nothing', () => {
  it.each(CASES)('$what → $rule', async ({ req, rule }) => {
    const [method, path, body] = req();
    const before = await existing(P);
    const answer = await raw(proxy.port, method, path, body);
    expect(answer.status).toBe(403);
    expect(answer.json.message).toContain(`[${rule}]`);
    expect(await existing(P)).toEqual(before);
    expect(proxy.logs.at(-1)).toMatchObject({ method, decision: 'deny', rule, status: 403 });
  });

  it('checks chunked bodies like any other (privileged split across chunks)', async () => {
    const parts = [`{"Image":"${BASE_IMAGE}","HostCon`, 'fig":{"Privi', 'leged":true}}'];
    const answer = await raw(proxy.port, 'POST', `/containers/create?name=${P}-chunked`, parts);
    expect(answer.status).toBe(403);
    expect(answer.json.message).toContain('[privileged]');
    expect((await existing(P)).containers).toEqual([`${P}-owned`]);
  });

  it('caps body size', async () => {
    const huge = JSON.stringify({ Image: BASE_IMAGE, Env: [`X=${'a'.repeat(2 * 1024 * 1024)}`] });
    const answer = await raw(proxy.port, 'POST', `/containers/create?name=${P}-huge`, huge);
    expect(answer.status).toBe(403);
    expect(answer.json.message).toContain('[body-too-large]');
  });

  it('refuses an Upgrade handshake on an endpoint that carries a policy body', async () => {
    const body = JSON.stringify({ Image: BASE_IMAGE, HostConfig: { ...NO_NET, Privileged: true } });
    const socket = net.connect(proxy.port, '127.0.0.1');
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(
        `POST /containers/create?name=${P}-upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    });
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
    expect(reply).toContain('[upgrade]');
    expect((await existing(P)).containers).toEqual([`${P}-owned`]);
  });

  it('the same privileged create succeeds on the raw socket, so the refusal is the proxy (control)', async () => {
    // Proves the request above is a real escalation, created directly and removed at once.
    const c = await direct().createContainer({ name: `${P}-control`, Image: BASE_IMAGE, Cmd: ['true'], HostConfig: { ...NO_NET, Privileged: true } });
    expect((await c.inspect()).HostConfig.Privileged).toBe(true);
    await c.remove({ force: true });
  });

  it('a build with an allowed tag still works after all that (the proxy is not just closed)', async () => {
    const context = await contextTar(`FROM ${BASE_IMAGE}\nCMD ["true"]\n`);
    const answer = await raw(proxy.port, 'POST', `/build?t=${P}-ok:1&networkmode=none`, context, { 'content-type': 'application/x-tar' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('Successfully tagged');
  });
});
