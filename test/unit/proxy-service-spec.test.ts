import { describe, expect, it } from 'vitest';
import type { ApiVersion } from '../../src/proxy/api-version.js';
import { newRefs, type PolicyContext } from '../../src/proxy/body-policy/schema.js';
import { checkServiceSpec } from '../../src/proxy/body-policy/service-spec.js';
import { DEFAULT_CAP_ADD_ALLOW } from '../../src/proxy/config.js';
import { parseStrictJson, type JsonObject } from '../../src/proxy/json-strict.js';
import { OwnerTokens } from '../../src/proxy/labels.js';
import { ruleOf as refusedBy } from '../helpers/thrown.js';

const OWNER = new OwnerTokens('unit-test-owner-secret-0123456789abcdef');
const LABELS = { 'cloud.helvetia.managed': 'true', 'cloud.helvetia.owner': OWNER.object };
const REGISTRY = 'registry.example.com:5000';
const DIGEST = `@sha256:${'a'.repeat(64)}`;
const IMAGE = `${REGISTRY}/helvetia/app${DIGEST}`;
const V141: ApiVersion = { major: 1, minor: 41 };
const V144: ApiVersion = { major: 1, minor: 44 };

const ctx = (): PolicyContext => ({ workspaceDir: '/tmp/helvetia-workspaces', capAddAllow: DEFAULT_CAP_ADD_ALLOW, owner: OWNER, refs: newRefs() });
const policy = (apiVersion = V141, registry: string | null = REGISTRY) => ({ images: { imagePrefixes: ['helvetia/'], registry }, apiVersion });

/** The spec the swarm backend sends: hardened, limited, on an owned overlay and the edge network. */
const good = (): Record<string, any> => ({
  Name: 'hv-app', Labels: { 'cloud.helvetia.repository': 'o/r' },
  TaskTemplate: {
    ContainerSpec: {
      Image: IMAGE, Env: ['PORT=8080'], Labels: { a: 'b' }, CapabilityDrop: ['ALL'], CapabilityAdd: ['NET_BIND_SERVICE'],
      ReadOnly: true, Mounts: [{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 1 << 20 } }], Init: true,
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 }, Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }], StopGracePeriod: 1e10,
    },
    Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 256 << 20, Pids: 256 }, Reservations: { MemoryBytes: 64 << 20 } },
    RestartPolicy: { Condition: 'any', MaxAttempts: 0 },
    Placement: { Constraints: ['node.role==worker'], MaxReplicas: 2 },
    Networks: [{ Target: 'hv-app-net', Aliases: ['web'] }, { Target: 'helvetia-edge' }],
    LogDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
  },
  Mode: { Replicated: { Replicas: 2 } },
  UpdateConfig: { Parallelism: 1, Order: 'start-first', FailureAction: 'rollback' },
  EndpointSpec: { Mode: 'vip' },
});

const check = (spec: object, c = ctx(), p = policy()): JsonObject => checkServiceSpec(parseStrictJson(JSON.stringify(spec)), c, p);
const ruleOf = (spec: object, p = policy()): string => refusedBy(() => check(spec, ctx(), p));
/** good() with one change made by `edit`. */
const withChange = (edit: (s: Record<string, any>) => void): Record<string, any> => {
  const s = good();
  edit(s);
  return s;
};
const cs = (s: Record<string, any>) => s.TaskTemplate.ContainerSpec;

describe('service spec policy (Engine API 1.41)', () => {
  it('accepts the hardened spec, forces the owner labels on the service and its containers, and names the networks to check', () => {
    const c = ctx();
    const out = check({ ...good(), Labels: { 'cloud.helvetia.owner': 'forged', x: 'y' } }, c);
    expect({ ...(out.Labels as object) }).toEqual({ x: 'y', ...LABELS });
    const container = (out.TaskTemplate as JsonObject).ContainerSpec as JsonObject;
    expect({ ...(container.Labels as object) }).toEqual({ a: 'b', ...LABELS });
    expect([...c.refs.overlays].sort()).toEqual(['helvetia-edge', 'hv-app-net']);
  });

  it('refuses host mounts, volumes outside the owner\'s namespace and the workspace in the task template', () => {
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'bind', Source: '/', Target: '/host' }])))).toBe('host-bind');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/s', ReadOnly: true }])))).toBe('host-bind');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'bind', Source: '/tmp/helvetia-workspaces', Target: '/w', ReadOnly: true }])))).toBe('host-bind');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: 'data', Target: '/d' }])))).toBe('service-mount');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Target: '/d', VolumeOptions: { DriverConfig: { Name: 'local', Options: { o: 'bind', device: '/' } } } }])))).toBe('volume-driver-opts');
  });

  it('mounts a volume only by a name in this owner\'s namespace, unchecked on this daemon, with the owner labels forced on the volume Swarm creates', () => {
    const mine = `${OWNER.volumeNamespace}-0123456789ab-db`;
    const c = ctx();
    const out = check(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: mine, Target: '/data', VolumeOptions: { Labels: { 'cloud.helvetia.owner': 'forged', v: 'w' } } }])), c);
    const mount = (((out.TaskTemplate as JsonObject).ContainerSpec as JsonObject).Mounts as JsonObject[])[0]!;
    expect(mount).toMatchObject({ Type: 'volume', Source: mine, Target: '/data' });
    expect({ ...((mount.VolumeOptions as JsonObject).Labels as object) }).toEqual({ v: 'w', ...LABELS });
    // Not looked up on the manager: the volume lives on the node the task is pinned to.
    expect([...c.refs.volumes]).toEqual([]);
    const plain = check(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: mine, Target: '/data' }])));
    expect({ ...(((((plain.TaskTemplate as JsonObject).ContainerSpec as JsonObject).Mounts as JsonObject[])[0]!.VolumeOptions as JsonObject).Labels as object) }).toEqual(LABELS);
    // Another owner's namespace, a look-alike, a name outside any namespace, an anonymous volume, driver options.
    const other = new OwnerTokens('another-owner-secret-0123456789abcdefgh').volumeNamespace;
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: `${other}-0123456789ab-db`, Target: '/d' }])))).toBe('service-mount');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: `${OWNER.volumeNamespace}x-db`, Target: '/d' }])))).toBe('service-mount');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: `x${OWNER.volumeNamespace}-db`, Target: '/d' }])))).toBe('service-mount');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Target: '/d' }])))).toBe('anonymous-volume');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: mine, Target: '/d', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }])))).toBe('volume-driver-opts');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'volume', Source: mine, Target: '/d', BindOptions: { Propagation: 'rprivate' } }])))).toBe('mount-options');
    expect(ruleOf(withChange((s) => (cs(s).Mounts = [{ Type: 'bind', Source: mine, Target: '/d', ReadOnly: true }])))).toBe('host-bind');
  });

  it('requires CapabilityDrop ALL and takes CapabilityAdd only from the allowlist', () => {
    expect(ruleOf(withChange((s) => delete cs(s).CapabilityDrop))).toBe('cap-drop');
    expect(ruleOf(withChange((s) => (cs(s).CapabilityDrop = ['NET_RAW'])))).toBe('cap-drop');
    expect(check(withChange((s) => (cs(s).CapabilityDrop = ['cap_all'])))).toBeTruthy();
    expect(ruleOf(withChange((s) => (cs(s).CapabilityAdd = ['SYS_ADMIN'])))).toBe('cap-add');
    expect(ruleOf(withChange((s) => (cs(s).CapabilityAdd = ['cap_sys_ptrace'])))).toBe('cap-add');
  });

  it('requires memory, CPU and pids limits', () => {
    expect(ruleOf(withChange((s) => delete s.TaskTemplate.Resources))).toBe('resource-limits');
    expect(ruleOf(withChange((s) => delete s.TaskTemplate.Resources.Limits))).toBe('resource-limits');
    for (const field of ['NanoCPUs', 'MemoryBytes', 'Pids']) {
      expect(ruleOf(withChange((s) => delete s.TaskTemplate.Resources.Limits[field])), field).toBe('resource-limits');
      expect(ruleOf(withChange((s) => (s.TaskTemplate.Resources.Limits[field] = 0))), field).toBe('resource-limits');
    }
    expect(ruleOf(withChange((s) => (s.TaskTemplate.Resources.Reservations.GenericResources = [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }])))).toBe('devices');
  });

  it('names only networks; no driver options on attachments', () => {
    expect(ruleOf(withChange((s) => (s.TaskTemplate.Networks = [{ Target: 'x', DriverOpts: { 'com.docker.network.driver.overlay.vxlanid_list': '4096' } }])))).toBe('network-options');
    const c = ctx();
    check(withChange((s) => (s.Networks = [{ Target: 'legacy-net' }])), c);
    expect(c.refs.overlays.has('legacy-net')).toBe(true);
  });

  it('refuses privileged-ish fields: sysctls outside the list, secrets, configs, plugins, SELinux off, runtimes, isolation, remote logging', () => {
    expect(ruleOf(withChange((s) => (cs(s).Sysctls = { 'kernel.core_pattern': '|/x' })))).toBe('sysctl');
    expect(ruleOf(withChange((s) => (cs(s).Secrets = [{ SecretID: 's', SecretName: 's' }])))).toBe('secrets');
    expect(ruleOf(withChange((s) => (cs(s).Configs = [{ ConfigID: 'c', ConfigName: 'c' }])))).toBe('configs');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { SELinuxContext: { Disable: true } })))).toBe('selinux');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { CredentialSpec: { File: 'x' } })))).toBe('credential-spec');
    expect(ruleOf(withChange((s) => (cs(s).Isolation = 'hyperv')))).toBe('isolation');
    expect(ruleOf(withChange((s) => (s.TaskTemplate.PluginSpec = { Name: 'evil', Remote: 'x/y' })))).toBe('service-plugin');
    expect(ruleOf(withChange((s) => (s.TaskTemplate.Runtime = 'plugin')))).toBe('runtime');
    expect(ruleOf(withChange((s) => (s.TaskTemplate.LogDriver = { Name: 'syslog', Options: { 'syslog-address': 'tcp://x:1' } })))).toBe('log-driver');
    expect(ruleOf(withChange((s) => (s.TaskTemplate.LogDriver.Options = { 'syslog-address': 'tcp://x:1' })))).toBe('log-driver');
    expect(ruleOf(withChange((s) => (cs(s).Ulimits = [{ Name: 'memlock', Soft: -1, Hard: -1 }])))).toBe('ulimit');
    expect(ruleOf(withChange((s) => (s.EndpointSpec = { Ports: [{ TargetPort: 80, PublishedPort: 80 }] })))).toBe('host-port');
    expect(check(withChange((s) => (s.EndpointSpec = { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] })))).toBeTruthy();
  });

  it('refuses unknown fields (a field of a later API, a typo, HostConfig-style keys) and duplicate keys', () => {
    expect(ruleOf(withChange((s) => (cs(s).Privileged = true)))).toBe('unknown-field');
    expect(ruleOf(withChange((s) => (cs(s).OomScoreAdj = -1000)))).toBe('unknown-field');
    expect(ruleOf(withChange((s) => (s.TaskTemplate.HostConfig = { Privileged: true })))).toBe('unknown-field');
    expect(ruleOf(withChange((s) => (s.Privileged = true)))).toBe('unknown-field');
    const dup = JSON.stringify(good()).replace('"ReadOnly":true', '"ReadOnly":true,"readonly":false');
    expect(refusedBy(() => checkServiceSpec(parseStrictJson(dup), ctx(), policy()))).toBe('json-duplicate-key');
  });

  it('runs only images under the prefixes, from REGISTRY_URL by digest when one is set', () => {
    expect(ruleOf(withChange((s) => (cs(s).Image = 'redis:7')))).toBe('image-name');
    expect(ruleOf(withChange((s) => (cs(s).Image = `${REGISTRY}/helvetia/app:latest`)))).toBe('image-name');
    expect(ruleOf(withChange((s) => (cs(s).Image = `${REGISTRY}/other/app${DIGEST}`)))).toBe('image-name');
    expect(ruleOf(withChange((s) => (cs(s).Image = `evil.example.com/helvetia/app${DIGEST}`)))).toBe('image-name');
    expect(ruleOf(withChange((s) => (cs(s).Image = `helvetia/app${DIGEST}`)))).toBe('image-name');
    expect(ruleOf(withChange((s) => delete cs(s).Image))).toBe('image-name');
    // A single-node swarm without a registry runs local images under the prefixes, like containers.
    const local = withChange((s) => (cs(s).Image = 'helvetia/app:1'));
    expect(check(local, ctx(), policy(V141, null))).toBeTruthy();
    expect(ruleOf(withChange((s) => (cs(s).Image = 'redis:7')), policy(V141, null))).toBe('image-name');
  });

  it('needs a container task: no spec, no template, no body', () => {
    expect(ruleOf(withChange((s) => delete s.TaskTemplate))).toBe('service-spec');
    expect(ruleOf(withChange((s) => delete s.TaskTemplate.ContainerSpec))).toBe('service-spec');
    expect(refusedBy(() => checkServiceSpec(null, ctx(), policy()))).toBe('json-type');
  });
});

describe('service spec policy: no-new-privileges per Engine API version', () => {
  it('below 1.44 the field does not exist: sending it is refused rather than silently dropped', () => {
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { NoNewPrivileges: true })))).toBe('api-version');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { Seccomp: { Mode: 'default' } })))).toBe('api-version');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { AppArmor: { Mode: 'default' } })))).toBe('api-version');
  });

  it('from 1.44 NoNewPrivileges must be true and the seccomp/AppArmor profiles stay the default', () => {
    const nnp = withChange((s) => (cs(s).Privileges = { NoNewPrivileges: true, Seccomp: { Mode: 'default' } }));
    expect(check(nnp, ctx(), policy(V144))).toBeTruthy();
    expect(ruleOf(good(), policy(V144))).toBe('no-new-privileges');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { NoNewPrivileges: false })), policy(V144))).toBe('no-new-privileges');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { NoNewPrivileges: true, Seccomp: { Mode: 'unconfined' } })), policy(V144))).toBe('seccomp');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { NoNewPrivileges: true, Seccomp: { Mode: 'custom', Profile: 'e30=' } })), policy(V144))).toBe('seccomp');
    expect(ruleOf(withChange((s) => (cs(s).Privileges = { NoNewPrivileges: true, AppArmor: { Mode: 'disabled' } })), policy(V144))).toBe('apparmor');
  });
});
