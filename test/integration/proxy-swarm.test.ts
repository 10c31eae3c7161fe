/**
 * The swarm profile against a real dockerd in swarm mode: a test-owned daemon in its own network
 * namespace (TestDaemon), never the shared one. Owned services go through their whole life;
 * foreign ones (created on the daemon's socket) stay invisible and untouchable; cluster management,
 * node writes, secrets, configs and plugins stay closed, also behind path tricks.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/test-daemon.js';
import { BASE_IMAGE, raw, sleep, startProxy, type RawAnswer, type RunningProxy } from './proxy-harness.js';
import { spec } from './proxy-swarm-spec.js';

const P = 'hvswp';
const SWARM_FLAGS = { PROXY_PROFILE: 'swarm', SERVICES: '1', TASKS: '1', NODES: '1', NETWORKS: '1', CONTAINERS: '1', IMAGES: '1', POST: '1', PROXY_IMAGE_PREFIXES: 'helvetia-', EDGE_NETWORK: `${P}-edge` };
const daemon = new TestDaemon();
let proxy: RunningProxy;
let foreignService = '';
let foreignTask = '';
let nodeId = '';
let overlayId = '';

const call = (method: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<RawAnswer> =>
  raw(proxy.port, method, path, body === undefined ? undefined : JSON.stringify(body), headers);

/** Polls the daemon until `fn` answers something truthy. */
async function until<T>(fn: () => Promise<T | undefined | null | false>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

beforeAll(async () => {
  await daemon.start();
  await daemon.importBaseImage();
  nodeId = await daemon.swarmInit();
  const d = daemon.client();
  // The operator's edge network (not created through the proxy) and a stranger's service on it.
  await d.createNetwork({ Name: `${P}-edge`, Driver: 'overlay', Attachable: true });
  await d.createNetwork({ Name: `${P}-foreign-net`, Driver: 'overlay', Attachable: true });
  const foreign = await d.createService({
    Name: `${P}-foreign`, Labels: { 'cloud.helvetia.managed': 'true' },
    TaskTemplate: { ContainerSpec: { Image: BASE_IMAGE, Command: ['sleep', '300'] }, RestartPolicy: { Condition: 'none' } },
  } as never);
  foreignService = String((foreign as { id?: string }).id);
  foreignTask = await until(async () => (await d.listTasks({ filters: { service: [foreignService] } }))[0]?.ID as string | undefined, 'the foreign task');
  proxy = await startProxy({ ...SWARM_FLAGS, DOCKER_SOCKET: daemon.socket });
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  await daemon.destroy();
}, 120_000);

describe('swarm profile: owned services', () => {
  it('creates an attachable overlay, then a service on it and the edge network; inspects, updates, reads logs and tasks, removes it', async () => {
    const net = await call('POST', '/v1.41/networks/create', { Name: `${P}-app-net`, Driver: 'overlay', Attachable: true });
    expect(net.status, net.text).toBe(201);
    overlayId = String(net.json.Id);
    const body = spec(`${P}-app`, `${P}-app-net`, (s) => s.TaskTemplate.Networks.push({ Target: `${P}-edge` }));
    // X-Registry-Auth travels on (the cluster's registry credentials); dockerd accepts an empty one.
    const created = await call('POST', '/v1.41/services/create', body, { 'X-Registry-Auth': Buffer.from('{}').toString('base64') });
    expect(created.status, created.text).toBe(201);
    const id = String(created.json.ID);

    const inspected = await call('GET', `/v1.41/services/${P}-app`);
    expect(inspected.status).toBe(200);
    const labels = (inspected.json.Spec as any).Labels;
    expect(labels).toEqual(proxy.labels.object);
    expect((inspected.json.Spec as any).TaskTemplate.ContainerSpec.Labels).toEqual(proxy.labels.object);
    expect((inspected.json.Spec as any).TaskTemplate.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
    expect((inspected.json.Spec as any).TaskTemplate.Resources.Limits.Pids).toBe(64);

    // Its task runs; the task list through the proxy shows it (and only owned tasks).
    const task = await until(async () => {
      const list = await call('GET', '/v1.41/tasks');
      return (list.json as unknown as any[]).find((t) => t.ServiceID === id && t.Status.State === 'running');
    }, 'the owned task to run');
    expect((await call('GET', `/v1.41/tasks/${task.ID}`)).status).toBe(200);
    // Its container is an owned container, with the limits the spec asked for.
    const [container] = await daemon.client().listContainers({ filters: { label: [`com.docker.swarm.service.id=${id}`] } });
    const info = await daemon.client().getContainer(container!.Id).inspect();
    expect(info.Config.Labels).toMatchObject(proxy.labels.object);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect([info.HostConfig.Memory, info.HostConfig.PidsLimit]).toEqual([32 * 1024 * 1024, 64]);

    const logs = await until(async () => {
      const l = await call('GET', `/v1.41/services/${id}/logs?stdout=1&stderr=1`);
      return l.status === 200 && l.text.includes('hello-from-hvswp') ? l : undefined;
    }, 'service logs');
    expect(logs.status).toBe(200);
    expect((await call('GET', `/v1.41/tasks/${task.ID}/logs?stdout=1`)).status).toBe(200);

    const version = (inspected.json.Version as { Index: number }).Index;
    const updated = await call('POST', `/v1.41/services/${id}/update?version=${version}`, spec(`${P}-app`, `${P}-app-net`, (s) => (s.TaskTemplate.ContainerSpec.Env = ['STAGE=2'])));
    expect(updated.status, updated.text).toBe(200);
    const after = await daemon.client().getService(id).inspect();
    expect(after.Spec.TaskTemplate.ContainerSpec.Env).toEqual(['STAGE=2']);
    expect(after.Spec.Labels).toEqual(proxy.labels.object);

    const removed = await call('DELETE', `/v1.41/services/${id}`);
    expect(removed.status).toBe(200);
    expect((await daemon.client().listServices()).map((s) => s.ID)).not.toContain(id);
  });

  it('lists only owned services and tasks; nodes are readable', async () => {
    const services = (await call('GET', '/v1.41/services')).json as unknown as any[];
    expect(services.map((s) => s.ID)).not.toContain(foreignService);
    // Even when the client asks for the foreign service by name or label.
    const asked = await call('GET', `/v1.41/services?filters=${encodeURIComponent(JSON.stringify({ name: [`${P}-foreign`] }))}`);
    expect(asked.json).toEqual([]);
    const tasks = (await call('GET', `/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [foreignService] }))}`)).json as unknown as any[];
    expect(tasks).toEqual([]);
    const nodes = await call('GET', '/v1.41/nodes');
    expect((nodes.json as unknown as any[]).map((n) => n.ID)).toEqual([nodeId]);
    expect((await call('GET', `/v1.41/nodes/${nodeId}`)).status).toBe(200);
  });

  it("refuses a foreign service's inspect, update, removal and logs, and its task", async () => {
    for (const [method, path, body] of [
      ['GET', `/v1.41/services/${foreignService}`],
      ['GET', `/v1.41/services/${P}-foreign`],
      ['POST', `/v1.41/services/${foreignService}/update?version=1`, spec(`${P}-foreign`, `${P}-edge`)],
      ['DELETE', `/v1.41/services/${P}-foreign`],
      ['GET', `/v1.41/services/${foreignService}/logs?stdout=1`],
      ['GET', `/v1.41/tasks/${foreignTask}`],
      ['GET', `/v1.41/tasks/${foreignTask}/logs?stdout=1`],
    ] as Array<[string, string, object?]>) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(403);
      expect(answer.json.message).toMatch(/^refused by helvetia proxy \[not-owned\]: /);
    }
    const still = await daemon.client().getService(foreignService).inspect();
    expect(still.Spec.Name).toBe(`${P}-foreign`);
    expect(still.Version.Index).toBeGreaterThan(0);
  });
});

describe('swarm profile: refused service specs never reach the daemon', () => {
  const edge = `${P}-edge`;
  const CASES: Array<{ what: string; body: () => object; rule: string; path?: string }> = [
    { what: 'bind mount of the host root', body: () => spec(`${P}-r1`, edge, (s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'bind', Source: '/', Target: '/host' }])), rule: 'host-bind' },
    { what: 'named volume (created unowned on a node)', body: () => spec(`${P}-r2`, edge, (s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'volume', Source: `${P}-vol`, Target: '/v' }])), rule: 'service-mount' },
    { what: 'no resource limits', body: () => spec(`${P}-r3`, edge, (s) => delete s.TaskTemplate.Resources), rule: 'resource-limits' },
    { what: 'no pids limit', body: () => spec(`${P}-r4`, edge, (s) => delete s.TaskTemplate.Resources.Limits.Pids), rule: 'resource-limits' },
    { what: 'CapabilityAdd SYS_ADMIN', body: () => spec(`${P}-r5`, edge, (s) => (s.TaskTemplate.ContainerSpec.CapabilityAdd = ['SYS_ADMIN'])), rule: 'cap-add' },
    { what: 'no CapabilityDrop ALL', body: () => spec(`${P}-r6`, edge, (s) => delete s.TaskTemplate.ContainerSpec.CapabilityDrop), rule: 'cap-drop' },
    { what: "a stranger's overlay network", body: () => spec(`${P}-r7`, `${P}-foreign-net`), rule: 'not-owned' },
    { what: 'the ingress network', body: () => spec(`${P}-r8`, 'ingress'), rule: 'not-owned' },
    { what: 'a bridge network', body: () => spec(`${P}-r9`, 'bridge'), rule: 'network-driver' },
    { what: 'image outside the prefixes', body: () => spec(`${P}-r10`, edge, (s) => (s.TaskTemplate.ContainerSpec.Image = 'redis:7')), rule: 'image-name' },
    { what: 'NoNewPrivileges at API 1.41 (dockerd would drop it silently)', body: () => spec(`${P}-r11`, edge, (s) => (s.TaskTemplate.ContainerSpec.Privileges = { NoNewPrivileges: true })), rule: 'api-version' },
    { what: 'privileged-style unknown field', body: () => spec(`${P}-r12`, edge, (s) => (s.TaskTemplate.ContainerSpec.Privileged = true)), rule: 'unknown-field' },
    { what: 'secrets', body: () => spec(`${P}-r13`, edge, (s) => (s.TaskTemplate.ContainerSpec.Secrets = [{ SecretName: 'x', SecretID: 'x' }])), rule: 'secrets' },
    { what: 'plugin task', body: () => spec(`${P}-r14`, edge, (s) => (s.TaskTemplate = { PluginSpec: { Name: 'p', Remote: 'vieux/sshfs' } })), rule: 'service-plugin' },
    { what: 'API 1.40 (drops CapabilityDrop and the pids limit)', body: () => spec(`${P}-r15`, edge), rule: 'api-version', path: '/v1.40/services/create' },
  ];

  it.each(CASES)('$what → $rule', async ({ body, rule, path }) => {
    const answer = await call('POST', path ?? '/v1.41/services/create', body());
    expect(answer.status, answer.text).toBe(403);
    expect(answer.json.message).toMatch(new RegExp(`^refused by helvetia proxy \\[${rule}\\]: `));
    expect(proxy.logs).toContainEqual(expect.objectContaining({ method: 'POST', decision: 'deny', rule, status: 403 }));
  });

  it('created nothing', async () => {
    const names = (await daemon.client().listServices()).map((s) => s.Spec?.Name);
    expect(names.filter((n) => /-r\d+$/.test(String(n)))).toEqual([]);
  });

  it('an update of an owned service gets the same policy', async () => {
    const created = await call('POST', '/v1.41/services/create', spec(`${P}-upd`, edge));
    expect(created.status, created.text).toBe(201);
    const id = String(created.json.ID);
    const { Version } = await daemon.client().getService(id).inspect();
    const bad = await call('POST', `/v1.41/services/${id}/update?version=${Version.Index}`, spec(`${P}-upd`, edge, (s) => (s.TaskTemplate.ContainerSpec.Mounts = [{ Type: 'bind', Source: '/etc', Target: '/e' }])));
    expect(bad.json.message).toMatch(/^refused by helvetia proxy \[host-bind\]/);
    expect((await call('POST', `/v1.41/services/${id}/update?version=${Version.Index}&rollback=now`, spec(`${P}-upd`, edge))).json.message).toMatch(/\[query\]/);
    expect((await daemon.client().getService(id).inspect()).Spec.TaskTemplate.ContainerSpec.Mounts).toBeUndefined();
    expect((await call('DELETE', `/v1.41/services/${id}`)).status).toBe(200);
  });
});

describe('swarm profile: networks', () => {
  it('allows owned (attachable) overlays and refuses ingress, host, macvlan, config-from and driver options', async () => {
    for (const [body, rule] of [
      [{ Name: `${P}-n1`, Driver: 'overlay', Ingress: true }, 'network-ingress'],
      [{ Name: `${P}-n2`, Driver: 'macvlan' }, 'network-driver'],
      [{ Name: `${P}-n3`, Driver: 'host' }, 'network-driver'],
      [{ Name: `${P}-n4`, Driver: 'overlay', ConfigFrom: { Network: `${P}-edge` } }, 'network-config'],
      [{ Name: `${P}-n5`, Driver: 'overlay', Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097' } }, 'network-options'],
      [{ Name: `${P}-n6`, Driver: 'overlay', Scope: 'local' }, 'network-scope'],
    ] as Array<[object, string]>) {
      const answer = await call('POST', '/v1.41/networks/create', body);
      expect(answer.json.message, JSON.stringify(body)).toMatch(new RegExp(`^refused by helvetia proxy \\[${rule}\\]`));
    }
    expect((await daemon.client().listNetworks()).map((n) => n.Name).filter((n) => /-n\d$/.test(n))).toEqual([]);
    const owned = await daemon.client().getNetwork(overlayId).inspect();
    expect([owned.Driver, owned.Attachable, owned.Labels]).toEqual(['overlay', true, proxy.labels.object]);
  });
});

describe('swarm profile: cluster management stays closed', () => {
  const REFUSED: Array<[string, string, string?]> = [
    ['POST', '/v1.41/swarm/init', '{}'], ['POST', '/v1.41/swarm/join', '{}'], ['POST', '/v1.41/swarm/leave?force=1'],
    ['POST', '/v1.41/swarm/update?version=1', '{}'], ['POST', '/v1.41/swarm/unlock', '{}'], ['GET', '/v1.41/swarm/unlockkey'],
    ['GET', '/v1.41/swarm'], ['POST', '/v1.41/nodes/NODE/update?version=1', '{"Role":"worker"}'], ['DELETE', '/v1.41/nodes/NODE?force=1'],
    ['GET', '/v1.41/secrets'], ['POST', '/v1.41/secrets/create', '{"Name":"x","Data":"eA=="}'], ['GET', '/v1.41/configs'],
    ['POST', '/v1.41/configs/create', '{"Name":"x","Data":"eA=="}'], ['GET', '/v1.41/plugins'], ['POST', '/v1.41/plugins/pull?remote=vieux/sshfs', '[]'],
    // Path tricks that normalize-path resolves: they land on a refused route, never beside it.
    ['POST', '/v1.41/services/../swarm/leave?force=1'], ['POST', '/v1.41/services%2F..%2Fswarm%2Fleave?force=1'],
    ['POST', '/services/x/../../swarm/init', '{}'], ['POST', '/v1.41/nodes/NODE%2Fupdate?version=1', '{}'],
    ['DELETE', '/v1.41/tasks/../nodes/NODE'], ['POST', '/v1.23/services/create', '{}'], ['GET', '/v1.41/services/%2e%2e/swarm'],
  ];

  it.each(REFUSED)('%s %s', async (method, path, body) => {
    const answer = await raw(proxy.port, method, path.replace('NODE', nodeId), body);
    expect(answer.status, answer.text).toBe(403);
    expect(answer.json.message).toMatch(/^refused by helvetia proxy \[(endpoint|method|profile|api-version)\]/);
  });

  it('the swarm and its node are untouched', async () => {
    const info = await daemon.client().info();
    expect(info.Swarm.LocalNodeState).toBe('active');
    expect((await daemon.client().listNodes()).map((n) => [n.ID, n.Spec?.Role])).toEqual([[nodeId, 'manager']]);
  });
});

describe('pushes go only to REGISTRY_URL', () => {
  it('without REGISTRY_URL nothing is pushed; with it, only owned images under it', async () => {
    const noRegistry = await call('POST', `/v1.41/images/${encodeURIComponent('127.0.0.1:5999/helvetia-app')}/push?tag=1`);
    expect(noRegistry.json.message).toMatch(/^refused by helvetia proxy \[image-push\]/);
    const withRegistry = await startProxy({ ...SWARM_FLAGS, DOCKER_SOCKET: daemon.socket, REGISTRY_URL: '127.0.0.1:5999' });
    try {
      const elsewhere = await raw(withRegistry.port, 'POST', '/v1.41/images/evil.example.com:5000/helvetia-app/push?tag=1');
      expect(elsewhere.json.message).toMatch(/^refused by helvetia proxy \[image-push\]/);
      const outside = await raw(withRegistry.port, 'POST', '/v1.41/images/127.0.0.1:5999/other/push');
      expect(outside.json.message).toMatch(/^refused by helvetia proxy \[image-name\]/);
      // Under the registry and the prefixes, but not built through this proxy (no image token).
      await daemon.client().getImage(BASE_IMAGE).tag({ repo: '127.0.0.1:5999/helvetia-base', tag: 'foreign' });
      const foreign = await raw(withRegistry.port, 'POST', '/v1.41/images/127.0.0.1:5999/helvetia-base/push?tag=foreign');
      expect(foreign.json.message).toMatch(/^refused by helvetia proxy \[not-owned\]/);
    } finally {
      await withRegistry.close();
    }
  });
});

describe('other profiles against the same swarm', () => {
  it('the default profile refuses every services, tasks, nodes and swarm route, whatever its flags', async () => {
    const def = await startProxy({ DOCKER_SOCKET: daemon.socket, CONTAINERS: '1', NETWORKS: '1', POST: '1', SWARM: '1', SECRETS: '1', CONFIGS: '1' });
    try {
      for (const [method, path] of [
        ['GET', '/v1.41/services'], ['POST', '/v1.41/services/create'], ['GET', `/v1.41/services/${foreignService}`],
        ['POST', `/v1.41/services/${foreignService}/update`], ['DELETE', `/v1.41/services/${foreignService}`], ['GET', `/v1.41/services/${foreignService}/logs`],
        ['GET', '/v1.41/tasks'], ['GET', `/v1.41/tasks/${foreignTask}`], ['GET', `/v1.41/tasks/${foreignTask}/logs`],
        ['GET', '/v1.41/nodes'], ['GET', `/v1.41/nodes/${nodeId}`], ['GET', '/v1.41/swarm'], ['POST', '/v1.41/swarm/leave'],
        ['GET', '/v1.41/containers/../services'], ['GET', '/v1.41/containers%2F..%2Ftasks'],
      ]) {
        const answer = await raw(def.port, method!, path!, method === 'POST' ? '{}' : undefined);
        expect(answer.status, `${method} ${path}`).toBe(403);
        expect(answer.json.message, `${method} ${path}`).toMatch(/^refused by helvetia proxy \[(profile|endpoint)\]/);
      }
      // And no overlay: a default-profile proxy creates bridges only.
      expect((await raw(def.port, 'POST', '/v1.41/networks/create', JSON.stringify({ Name: `${P}-ov`, Driver: 'overlay' }))).json.message).toMatch(/\[network-driver\]/);
    } finally {
      await def.close();
    }
  });

  it("traefik's profile with the swarm read flags sees owned services and tasks, nodes, and every network, and changes nothing", async () => {
    const mine = await call('POST', '/v1.41/services/create', spec(`${P}-routed`, `${P}-edge`));
    expect(mine.status, mine.text).toBe(201);
    const traefik = await startProxy({ DOCKER_SOCKET: daemon.socket, PROXY_PROFILE: 'traefik', SERVICES: '1', TASKS: '1', NODES: '1', NETWORKS: '1', PROXY_OWNER_SECRET: proxy.ownerSecret });
    try {
      const services = (await raw(traefik.port, 'GET', '/v1.41/services')).json as unknown as any[];
      expect(services.map((s) => s.Spec.Name)).toEqual([`${P}-routed`]);
      // Tasks of owned services removed above may linger until swarm collects them: owned too.
      const tasks = await until(async () => {
        const list = (await raw(traefik.port, 'GET', '/v1.41/tasks')).json as unknown as any[];
        return list.some((t) => t.ServiceID === mine.json.ID) ? list : undefined;
      }, 'the routed task');
      expect(tasks.map((t) => t.ServiceID)).not.toContain(foreignService);
      expect(tasks.map((t) => t.ID)).not.toContain(foreignTask);
      expect(((await raw(traefik.port, 'GET', '/v1.41/nodes')).json as unknown as any[]).length).toBe(1);
      const networks = ((await raw(traefik.port, 'GET', '/v1.41/networks')).json as unknown as any[]).map((n) => n.Name);
      expect(networks).toContain(`${P}-edge`);
      for (const [method, path] of [['DELETE', `/v1.41/services/${mine.json.ID}`], ['POST', '/v1.41/services/create'], ['GET', `/v1.41/services/${mine.json.ID}/logs`]]) {
        expect((await raw(traefik.port, method!, path!, method === 'POST' ? '{}' : undefined)).json.message).toMatch(/\[profile\]/);
      }
    } finally {
      await traefik.close();
      await call('DELETE', `/v1.41/services/${mine.json.ID}`);
    }
  });
});

describe('why the API version rules exist: what this dockerd does with them (on its own socket)', () => {
  /** Creates a service directly (not through the proxy) with the given version prefix and returns its stored spec. */
  async function storedSpec(version: string, name: string, edit: (s: Record<string, any>) => void): Promise<any> {
    const answer = await new Promise<{ ID?: string; message?: string }>((resolve, reject) => {
      const body = JSON.stringify(spec(name, `${P}-edge`, edit));
      const req = http.request({ socketPath: daemon.socket, method: 'POST', path: `/${version}/services/create`, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text) as { ID?: string }));
      });
      req.on('error', reject);
      req.end(body);
    });
    if (!answer.ID) throw new Error(`direct create failed: ${answer.message}`);
    const stored = (await daemon.client().getService(answer.ID).inspect()).Spec;
    await daemon.client().getService(answer.ID).remove();
    return stored;
  }

  it('at /v1.40 dockerd silently drops CapabilityDrop and the pids limit', async () => {
    const s = await storedSpec('v1.40', `${P}-v140`, () => undefined);
    expect(s.TaskTemplate.ContainerSpec.CapabilityDrop).toBeUndefined();
    expect(s.TaskTemplate.Resources.Limits.Pids ?? 0).toBe(0);
  });

  it('at 1.41 dockerd silently drops Privileges.NoNewPrivileges', async () => {
    const s = await storedSpec('v1.41', `${P}-nnp`, (x) => (x.TaskTemplate.ContainerSpec.Privileges = { NoNewPrivileges: true }));
    expect(JSON.stringify(s)).not.toMatch(/NoNewPrivileges/i);
    expect(s.TaskTemplate.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
  });
});
