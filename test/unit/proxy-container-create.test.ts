import { describe, expect, it } from 'vitest';
import { checkCommitConfig, checkContainerCreate } from '../../src/proxy/body-policy/container-create.js';
import { newRefs, type PolicyContext } from '../../src/proxy/body-policy/schema.js';
import { DEFAULT_CAP_ADD_ALLOW } from '../../src/proxy/config.js';
import { OwnerTokens } from '../../src/proxy/labels.js';
import { ruleOf as refusedBy } from '../helpers/thrown.js';
import { parseStrictJson } from '../../src/proxy/json-strict.js';

const WS = '/tmp/helvetia-workspaces';
const OWNER = new OwnerTokens('unit-test-owner-secret-0123456789abcdef');
const LABELS = { 'cloud.helvetia.managed': 'true', 'cloud.helvetia.owner': OWNER.object };
const ctx = (): PolicyContext => ({ workspaceDir: WS, capAddAllow: DEFAULT_CAP_ADD_ALLOW, owner: OWNER, refs: newRefs() });
const check = (body: string, c = ctx()) => checkContainerCreate(parseStrictJson(body), c);
const ruleOf = (body: string): string => refusedBy(() => check(body));
const hc = (hostConfig: object): string => JSON.stringify({ Image: 'helvetia-base:latest', HostConfig: hostConfig });

describe('container create policy', () => {
  it("accepts the worker's hardened spec and forces the ownership label", () => {
    const body = {
      Image: 'app:1', Labels: { 'cloud.helvetia.managed': 'false', 'cloud.helvetia.owner': OWNER.image, a: 'b' }, Env: ['A=1'], ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        Privileged: false, CapDrop: ['ALL'], CapAdd: [], SecurityOpt: ['no-new-privileges:true'], Memory: 512 * 1024 * 1024,
        MemorySwap: 512 * 1024 * 1024, NanoCpus: 5e8, PidsLimit: 256, Binds: [], Mounts: [], Devices: [], PublishAllPorts: false,
        NetworkMode: 'helvetia-edge', LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      },
      NetworkingConfig: { EndpointsConfig: { 'helvetia-edge': { Aliases: ['web'] } } },
    };
    const c = ctx();
    const out = check(JSON.stringify(body), c);
    // The object token (never the image token, nor a client's value) on every container created.
    expect(out.Labels).toEqual({ ...LABELS, a: 'b' });
    expect([...c.refs.networks]).toEqual(['helvetia-edge']);
  });

  it('adds the label when none was sent and rewrites keys to canonical names', () => {
    const out = check('{"image":"x","hostconfig":{"memory":5}}');
    expect(JSON.parse(JSON.stringify(out))).toEqual({ Image: 'x', HostConfig: { Memory: 5 }, Labels: LABELS });
  });

  it('a commit makes an image: it gets the image token, over the container\'s own labels and any client value', () => {
    const out = checkCommitConfig(parseStrictJson(`{"Labels":{"cloud.helvetia.owner":"${OWNER.object}","a":"b"}}`), ctx());
    expect({ ...(out.Labels as object) }).toEqual({ a: 'b', 'cloud.helvetia.owner': OWNER.image });
    expect({ ...(checkCommitConfig(null, ctx()).Labels as object) }).toEqual({ 'cloud.helvetia.owner': OWNER.image });
  });

  it('refuses privileged containers however the key is spelled', () => {
    expect(ruleOf(hc({ Privileged: true }))).toBe('privileged');
    expect(ruleOf('{"Image":"x","hostconfig":{"privileged":true}}')).toBe('privileged');
    expect(ruleOf('{"Image":"x","HostConfig":{"Privileged":false,"PRIVILEGED":true}}')).toBe('json-duplicate-key');
    expect(ruleOf('{"Image":"x","HostConfig":{"Privileged":false,"Privileged":true}}')).toBe('json-duplicate-key');
    // dockerd reads HostConfig fields at the top level when HostConfig is absent.
    expect(ruleOf('{"Image":"x","Privileged":true}')).toBe('unknown-field');
    expect(ruleOf('{"Image":"x","Binds":["/:/host"]}')).toBe('unknown-field');
  });

  it('refuses host bind mounts except the read-only workspace', () => {
    for (const bind of ['/:/host', '/home:/h:ro', '/Users:/u:ro', '/root:/r:ro', '/etc:/e:ro', '/var/run/docker.sock:/s', '/tmp:/t:ro', '/tmp/helvetia-workspaces/sub:/w:ro', '/tmp/helvetia-workspaces/..:/w:ro']) {
      expect(ruleOf(hc({ Binds: [bind] })), bind).toBe('host-bind');
    }
    expect(ruleOf(hc({ Binds: [`${WS}:/workspaces`] }))).toBe('host-bind-rw');
    expect(ruleOf(hc({ Binds: [`${WS}:/workspaces:rw`] }))).toBe('host-bind-rw');
    expect(ruleOf(hc({ Binds: [`${WS}:/workspaces:ro,z`] }))).toBe('bind-mode');
    expect(() => check(hc({ Binds: [`${WS}:/workspaces:ro`, `${WS}/:/w2:ro`, 'data:/data'] }))).not.toThrow();
  });

  it('refuses bind Mounts and volume driver options that bind the host', () => {
    expect(ruleOf(hc({ Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }))).toBe('host-bind');
    expect(ruleOf(hc({ Mounts: [{ type: 'bind', source: '/etc', target: '/e', readonly: true }] }))).toBe('host-bind');
    expect(ruleOf(hc({ Mounts: [{ Type: 'bind', Source: WS, Target: '/w' }] }))).toBe('host-bind-rw');
    expect(ruleOf(hc({ Mounts: [{ Type: 'bind', Source: WS, Target: '/w', ReadOnly: true, BindOptions: { Propagation: 'rshared' } }] }))).toBe('bind-propagation');
    const bindOpts = { Type: 'volume', Target: '/v', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } };
    expect(ruleOf(hc({ Mounts: [bindOpts] }))).toBe('volume-driver-opts');
    expect(ruleOf(hc({ Mounts: [{ Type: 'npipe', Source: 'x', Target: '/x' }] }))).toBe('mount-type');
    expect(ruleOf(hc({ VolumeDriver: 'nfs' }))).toBe('volume-driver');
    expect(() => check(hc({ Mounts: [{ Type: 'bind', Source: WS, Target: '/w', ReadOnly: true }, { Type: 'tmpfs', Target: '/t' }] }))).not.toThrow();
  });

  it('refuses anonymous volumes (Mounts without Source, one-part Binds, Config.Volumes); tmpfs stays allowed', () => {
    expect(ruleOf(hc({ Mounts: [{ Type: 'volume', Target: '/data' }] }))).toBe('anonymous-volume');
    expect(ruleOf(hc({ Mounts: [{ Type: 'volume', Source: '', Target: '/data' }] }))).toBe('anonymous-volume');
    expect(ruleOf(hc({ mounts: [{ type: 'volume', target: '/data', volumeoptions: { NoCopy: true } }] }))).toBe('anonymous-volume');
    expect(ruleOf(hc({ Binds: ['/data'] }))).toBe('anonymous-volume');
    expect(ruleOf(hc({ Binds: ['data:/data', '/cache'] }))).toBe('anonymous-volume');
    expect(ruleOf(JSON.stringify({ Image: 'x', Volumes: { '/data': {} } }))).toBe('anonymous-volume');
    expect(() => check(JSON.stringify({ Image: 'x', Volumes: {} }))).not.toThrow();
    const c = ctx();
    check(hc({ Mounts: [{ Type: 'volume', Source: 'pgdata', Target: '/var/lib/postgresql/data' }, { Type: 'tmpfs', Target: '/run' }], Tmpfs: { '/tmp': 'size=64m' } }), c);
    expect([...c.refs.volumes]).toEqual(['pgdata']);
  });

  it('collects named volumes and referenced containers for the ownership check', () => {
    const c = ctx();
    check(hc({ Binds: ['data:/data:ro'], Mounts: [{ Type: 'volume', Source: 'cache', Target: '/c' }], VolumesFrom: ['other:ro'], Links: ['/db:db'] }), c);
    expect([...c.refs.volumes].sort()).toEqual(['cache', 'data']);
    expect([...c.refs.containers].sort()).toEqual(['db', 'other']);
  });

  it('refuses capabilities beyond the allowlist, in any spelling', () => {
    expect(ruleOf(hc({ CapAdd: ['SYS_ADMIN'] }))).toBe('cap-add');
    expect(ruleOf(hc({ CapAdd: ['cap_net_admin'] }))).toBe('cap-add');
    expect(ruleOf(hc({ CapAdd: ['ALL'] }))).toBe('cap-add');
    expect(() => check(hc({ CapDrop: ['ALL'], CapAdd: ['NET_BIND_SERVICE', 'cap_chown'] }))).not.toThrow();
  });

  it('refuses devices and device access', () => {
    expect(ruleOf(hc({ Devices: [{ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' }] }))).toBe('devices');
    expect(ruleOf(hc({ DeviceCgroupRules: ['a *:* rwm'] }))).toBe('devices');
    expect(ruleOf(hc({ DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] }))).toBe('devices');
  });

  it('refuses host and container namespaces', () => {
    for (const [key, value] of [['PidMode', 'host'], ['IpcMode', 'host'], ['NetworkMode', 'host'], ['UTSMode', 'host'], ['UsernsMode', 'host'], ['PidMode', 'container:abc'], ['IpcMode', 'container:abc'], ['NetworkMode', 'container:abc'], ['CgroupnsMode', 'host']] as const) {
      expect(ruleOf(hc({ [key]: value })), `${key}=${value}`).toBe('namespace');
    }
    expect(ruleOf(JSON.stringify({ Image: 'x', NetworkingConfig: { EndpointsConfig: { host: {} } } }))).toBe('namespace');
  });

  it('takes no fixed address or MAC at create (only a rejoin at network connect may)', () => {
    const endpoint = (settings: object) => JSON.stringify({ Image: 'x', NetworkingConfig: { EndpointsConfig: { 'helvetia-edge': settings } } });
    expect(ruleOf(endpoint({ IPAMConfig: { IPv4Address: '10.0.0.2' } }))).toBe('endpoint-ipam');
    expect(ruleOf(endpoint({ MacAddress: '02:42:0a:00:00:02' }))).toBe('mac-address');
  });

  it('refuses unconfined security profiles, label disabling, custom runtimes and unmasked paths', () => {
    for (const opt of ['seccomp=unconfined', 'seccomp:unconfined', 'apparmor=unconfined', 'label=disable', 'label:disable', 'systempaths=unconfined']) {
      expect(ruleOf(hc({ SecurityOpt: [opt] })), opt).toBe('security-opt');
    }
    expect(ruleOf(hc({ Runtime: 'nvidia' }))).toBe('runtime');
    expect(ruleOf(hc({ MaskedPaths: [] }))).toBe('masked-paths');
    expect(ruleOf(hc({ CgroupParent: '/' }))).toBe('cgroup-parent');
    expect(ruleOf(hc({ Sysctls: { 'kernel.core_pattern': '|/x' } }))).toBe('sysctl');
    expect(ruleOf(hc({ LogConfig: { Type: 'syslog', Config: { 'syslog-address': 'tcp://10.0.0.1:514' } } }))).toBe('log-driver');
  });

  it('refuses values of the wrong type instead of guessing', () => {
    expect(ruleOf(hc({ Privileged: 'true' }))).toBe('privileged');
    expect(ruleOf(hc({ Binds: '/:/host' }))).toBe('json-type');
    expect(ruleOf('[]')).toBe('json-type');
  });
});
