import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appContainerSpec } from '../../src/docker/container-spec.js';
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { ownershipLabels } from '../../src/docker/labels.js';
import { prepareRelay } from '../../src/worker/handoff-relay.js';
import type { RunInput } from '../../src/worker/run-step.js';
import { retire, switchOver } from '../../src/worker/switch-over.js';
import { BASE_IMAGE, WORKER_FLAGS, cleanup, contextTar, direct, followProgress, startProxy, uniquePrefix, type RunningProxy } from './proxy-harness.js';

/**
 * The switch against a real dockerd, through the proxy: a prober on the edge network looks the
 * environment's name up and fetches from it in a tight loop while the environment is switched
 * over and over. With the hand-off relay, no lookup may find nothing. (Without it, the instant
 * between the two renames makes a lookup fail: pass `undefined` instead of the relay to see it.)
 */
const P = uniquePrefix();
const EDGE = `${P}-edge`;
const ALIAS = `${P}-site`;
const ROUNDS = 8;
let proxy: RunningProxy;
let engine: DockerodeEngine;
let prober: Docker.Container;
const steps: string[] = [];

const identity = (n: number) => ({ instance: 'hvtest', repository: `${P}/site`, environment: 'production', sha: `${n}`.padStart(40, '0'), jobId: `job-${n}`, installationId: 1 });
const input = (n: number): RunInput => ({
  identity: identity(n),
  image: BASE_IMAGE,
  hostname: `${ALIAS}.example.test`,
  repoConfig: { port: 8080 },
  env: {},
  engine,
  state: { setLive: async () => undefined, touch: async () => undefined },
  config: { EDGE_NETWORK: EDGE, PROBE_IMAGE: BASE_IMAGE, DRAIN_SECONDS: 1 },
  log: { step: (m: string) => void steps.push(m), run: () => undefined },
  signal: new AbortController().signal,
  assertLatest: async () => undefined,
}) as unknown as RunInput;

/** Starts version `n` of the site (answers "v<n>") under a name of its own, as runStep does. */
async function startVersion(n: number, name = `helvetia-${ALIAS}-${n}-${randomBytes(3).toString('hex')}`): Promise<string> {
  const spec = appContainerSpec({
    name, image: BASE_IMAGE, port: 8080, network: EDGE, labels: ownershipLabels(identity(n), 'app'), env: {},
    limits: { memoryMb: 64, cpus: 0.5, pidsLimit: 64 },
  });
  const id = await engine.createContainer({ ...spec, Cmd: ['sh', '-c', `trap 'exit 0' TERM; mkdir -p /w && echo v${n} > /w/index.html && httpd -f -p 8080 -h /w & wait`] });
  await engine.startContainer(id);
  return id;
}

beforeAll(async () => {
  // An edge network with a subnet, as docker-compose.yml makes it (a relay leaving the name rejoins at its address).
  await direct().createNetwork({ Name: EDGE, Labels: { 'proxytest.edge': P }, IPAM: { Config: [{ Subnet: `10.199.${Math.floor(Math.random() * 250)}.0/24` }] } });
  proxy = await startProxy({ ...WORKER_FLAGS, PROXY_ALLOWED_NETWORKS: EDGE });
  engine = new DockerodeEngine(proxy.docker);
  await startVersion(0, ALIAS);
  prober = await direct().createContainer({
    Image: BASE_IMAGE, Labels: { 'proxytest.tmp': P }, HostConfig: { NetworkMode: EDGE },
    Cmd: ['sh', '-c', `while [ ! -f /tmp/stop ]; do timeout 2 wget -q -O- http://${ALIAS}:8080/ 2>&1 || echo FAIL; done; echo END`],
  });
  await prober.start();
}, 60_000);

afterAll(async () => {
  await prober?.remove({ force: true });
  await proxy?.close();
  await cleanup(P);
});

describe('the switch-over with the hand-off relay', () => {
  it(`hands the name on ${ROUNDS} times while a prober looks it up in a loop: every lookup finds an answer`, async () => {
    for (let n = 1; n <= ROUNDS; n++) {
      const id = await startVersion(n);
      const relay = await prepareRelay(input(n), id, ALIAS);
      expect(relay, steps.join('\n')).toBeDefined();
      const previous = await switchOver(input(n), id, ALIAS, relay);
      expect(previous.map((c) => c.labels['cloud.helvetia.role']).sort()).toEqual(['app', 'relay']);
      await retire(input(n), previous);
    }
    const exec = await prober.exec({ Cmd: ['touch', '/tmp/stop'] });
    await exec.start({ Detach: true });
    await prober.wait();
    const lines = ((await prober.logs({ stdout: true, stderr: true })) as Buffer).toString('latin1').split('\n').map((l) => l.replace(/[^\x20-\x7e]/g, '').trim()).filter(Boolean);
    expect(lines.at(-1)).toBe('END');
    expect(lines.length).toBeGreaterThan(ROUNDS * 5);
    // No lookup finds nothing ("bad address": busybox's NXDOMAIN). What the relay carries when it
    // leaves the name can stall (README): counted here, not hidden.
    const failures = lines.flatMap((l, i) => (l.endsWith('FAIL') ? [lines.slice(Math.max(0, i - 2), i + 1).join(' / ')] : []));
    console.log(`switch-handoff: ${lines.length} requests over ${ROUNDS} switches, ${failures.length} failed: ${JSON.stringify(failures)}`);
    expect(lines.filter((l) => /bad address/.test(l))).toEqual([]);
    expect(failures.length).toBeLessThanOrEqual(ROUNDS / 4);
    // Every version answered in turn, the last one last.
    const seen = [...new Set(lines.map((l) => l.match(/v(\d+)$/)?.[1]).filter(Boolean))].map(Number);
    expect(seen).toEqual([...Array(ROUNDS + 1).keys()]);
    // Nothing is left but the last version: the relays and previous containers are gone.
    const left = await engine.listContainers([`cloud.helvetia.repository=${P}/site`]);
    expect(left.map((c) => c.name)).toEqual([ALIAS]);
    expect(steps.filter((s) => /relay|cut|could not/.test(s))).toEqual([]);
  }, 120_000);

  it('without a usable nc in PROBE_IMAGE there is no relay, the deploy log says the instant is uncovered, and nothing is left', async () => {
    const id = await startVersion(ROUNDS + 1);
    const noNc = `${P}-nonc:1`;
    await followProgress(direct(), await direct().buildImage((await contextTar('FROM scratch\nCOPY x /x\n', { x: 'no nc here' })) as unknown as NodeJS.ReadableStream, { t: noNc, labels: { 'proxytest.tmp': P } }));
    const run = { ...input(ROUNDS + 1), config: { EDGE_NETWORK: EDGE, PROBE_IMAGE: noNc, DRAIN_SECONDS: 0 } } as unknown as RunInput;
    steps.length = 0;
    expect(await prepareRelay(run, id, ALIAS)).toBeUndefined();
    expect(steps.join('\n')).toMatch(/no hand-off relay .*a lookup of .* in the instant between the switch's two renames can fail/);
    expect(await engine.listContainers([`cloud.helvetia.repository=${P}/site`, 'cloud.helvetia.role=relay'])).toEqual([]);
    await engine.removeContainer(id);
  }, 60_000);
});
