import { describe, expect, it } from 'vitest';
import type { ContainerSummary, DockerEngine } from '../../src/docker/engine.js';
import type { RunInput } from '../../src/worker/run-step.js';
import { switchOver } from '../../src/worker/switch-over.js';

const EDGE = 'edge';
const summary = (id: string, addresses: Record<string, string>): ContainerSummary => ({
  id, name: `c-${id}`, image: `img-${id}`, state: 'running', created: 0, labels: {}, addresses,
});

/** Records the network calls switchOver makes, in order; `refuseRejoin` makes dockerd refuse a fixed address. */
function harness(previous: ContainerSummary[], refuseRejoin = false) {
  const calls: string[] = [];
  const steps: string[] = [];
  const engine = {
    disconnectNetwork: async (id: string, network: string) => void calls.push(`disconnect ${id} ${network}`),
    connectNetwork: async (id: string, network: string, endpoint: { aliases?: string[]; ipv4?: string }) => {
      calls.push(`connect ${id} ${network} aliases=${endpoint.aliases?.join(',') ?? '-'} ipv4=${endpoint.ipv4 ?? '-'}`);
      if (refuseRejoin && endpoint.ipv4) throw Object.assign(new Error('(HTTP code 400) user specified IP address is supported only when connecting to networks with user configured subnets'), { statusCode: 400 });
    },
    listContainers: async () => [summary('new', { [EDGE]: '10.9.0.7' }), ...previous],
  } as unknown as DockerEngine;
  const input = {
    identity: { instance: 'i', repository: 'o/r', environment: 'production' },
    engine,
    config: { EDGE_NETWORK: EDGE },
    state: { setLive: async () => void calls.push('setLive'), touch: async () => undefined },
    log: { step: (m: string) => void steps.push(m) },
  } as unknown as RunInput;
  return { input, calls, steps };
}

describe('switchOver', () => {
  it('gives the alias to the new container first, then rejoins each old one at its own address without the alias', async () => {
    const { input, calls, steps } = harness([summary('old', { [EDGE]: '10.9.0.5', other: '10.8.0.2' })]);
    const previous = await switchOver(input, 'new', 'site--owner');
    expect(previous.map((c) => c.id)).toEqual(['old']);
    expect(calls).toEqual([
      'disconnect new edge',
      'connect new edge aliases=site--owner ipv4=-',
      'disconnect old edge',
      'connect old edge aliases=- ipv4=10.9.0.5',
      'setLive',
    ]);
    expect(steps).toEqual([]);
  });

  it('takes every old container out of the alias before any rejoins: the alias moves in one step', async () => {
    const { input, calls } = harness([summary('a', { [EDGE]: '10.9.0.5' }), summary('b', { [EDGE]: '10.9.0.6' })]);
    await switchOver(input, 'new', 'site--owner');
    expect(calls.slice(2, 4).sort()).toEqual(['disconnect a edge', 'disconnect b edge']);
    expect(calls.slice(4, 6).sort()).toEqual(['connect a edge aliases=- ipv4=10.9.0.5', 'connect b edge aliases=- ipv4=10.9.0.6']);
  });

  it('leaves an old container out when it had no address on the edge network (already off it)', async () => {
    const { input, calls } = harness([summary('old', { other: '10.8.0.2' })]);
    await switchOver(input, 'new', 'site--owner');
    expect(calls.slice(2)).toEqual(['disconnect old edge', 'setLive']);
  });

  it('says in the deploy log that in-flight requests are cut when dockerd refuses the fixed address', async () => {
    const { input, calls, steps } = harness([summary('old', { [EDGE]: '10.9.0.5' })], true);
    await expect(switchOver(input, 'new', 'site--owner')).resolves.toHaveLength(1);
    expect(calls.at(-2)).toBe('connect old edge aliases=- ipv4=10.9.0.5');
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatch(/c-old left edge and could not rejoin at 10\.9\.0\.5, so requests in flight to it are cut: .*user configured subnets/);
  });
});
