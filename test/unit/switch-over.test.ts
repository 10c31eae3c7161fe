import { describe, expect, it, vi } from 'vitest';
import type { ContainerSummary, DockerEngine } from '../../src/docker/engine.js';
import type { RunInput } from '../../src/worker/run-step.js';
import { retire, switchOver } from '../../src/worker/switch-over.js';

const EDGE = 'edge';
const ALIAS = 'site--owner';
const summary = (id: string, addresses: Record<string, string>, name = `helvetia-${ALIAS}-abc1234-${id}`): ContainerSummary => ({
  id, name, image: `img-${id}`, state: 'running', created: 0, labels: {}, addresses,
});

/**
 * Records the calls switchOver makes, in order. `refuseRejoin`: dockerd refuses a fixed address;
 * `nameTaken`: renaming to the alias conflicts (something outside the environment has the name).
 */
function harness(previous: ContainerSummary[], opts: { refuseRejoin?: boolean; nameTaken?: boolean } = {}) {
  const calls: string[] = [];
  const steps: string[] = [];
  const engine = {
    renameContainer: async (id: string, name: string) => {
      calls.push(`rename ${id} ${name.replace(/-[0-9a-f]{6}$/, '-*')}`);
      if (opts.nameTaken && name === ALIAS) throw Object.assign(new Error('(HTTP code 409) Conflict. The container name "/site--owner" is already in use'), { statusCode: 409 });
    },
    disconnectNetwork: async (id: string, network: string) => void calls.push(`disconnect ${id} ${network}`),
    connectNetwork: async (id: string, network: string, endpoint: { aliases?: string[]; ipv4?: string }) => {
      calls.push(`connect ${id} ${network} aliases=${endpoint.aliases?.join(',') ?? '-'} ipv4=${endpoint.ipv4 ?? '-'}`);
      if (opts.refuseRejoin && endpoint.ipv4) throw Object.assign(new Error('(HTTP code 400) user specified IP address is supported only when connecting to networks with user configured subnets'), { statusCode: 400 });
    },
    listContainers: async (filters: string[]) => {
      const relays = filters.includes('cloud.helvetia.role=relay');
      return [summary('new', { [EDGE]: '10.9.0.7' }), ...previous].filter((c) => (c.labels['cloud.helvetia.role'] === 'relay') === relays);
    },
    removeContainer: async (id: string) => void calls.push(`remove ${id}`),
    stopContainer: async (id: string) => void calls.push(`stop ${id}`),
    removeImage: async (image: string) => void calls.push(`removeImage ${image}`),
  } as unknown as DockerEngine;
  const input = {
    identity: { instance: 'i', repository: 'o/r', environment: 'production' },
    engine,
    config: { EDGE_NETWORK: EDGE, DRAIN_SECONDS: 0 },
    image: 'img-new',
    state: { setLive: async () => void calls.push('setLive'), touch: async () => undefined },
    log: { step: (m: string) => void steps.push(m) },
  } as unknown as RunInput;
  return { input, calls, steps };
}

describe('switchOver', () => {
  it('hands the environment\'s name on by two renames, with no network change (nothing in flight is cut)', async () => {
    const { input, calls, steps } = harness([summary('old', { [EDGE]: '10.9.0.5' }, ALIAS)]);
    const previous = await switchOver(input, 'new', ALIAS);
    expect(previous.map((c) => c.id)).toEqual(['old']);
    expect(calls).toEqual([`rename old ${ALIAS}--retired-*`, `rename new ${ALIAS}`, 'setLive']);
    expect(steps).toEqual([]);
  });

  it('a container of before the naming scheme (network alias) leaves the alias and rejoins at its own address', async () => {
    const { input, calls } = harness([summary('old', { [EDGE]: '10.9.0.5', other: '10.8.0.2' })]);
    await switchOver(input, 'new', ALIAS);
    expect(calls).toEqual([`rename new ${ALIAS}`, 'disconnect old edge', 'connect old edge aliases=- ipv4=10.9.0.5', 'setLive']);
  });

  it('containers retiring from an earlier deploy, and stopped ones, are left alone', async () => {
    const { input, calls } = harness([summary('gone', { [EDGE]: '10.9.0.4' }, `${ALIAS}--retired-a1b2c3`), { ...summary('stopped', {}), state: 'exited' }]);
    await switchOver(input, 'new', ALIAS);
    expect(calls).toEqual([`rename new ${ALIAS}`, 'setLive']);
  });

  it('takes every pre-scheme container out of the alias before any rejoins: the alias moves in one step', async () => {
    const { input, calls } = harness([summary('a', { [EDGE]: '10.9.0.5' }), summary('b', { [EDGE]: '10.9.0.6' })]);
    await switchOver(input, 'new', ALIAS);
    expect(calls.slice(1, 3).sort()).toEqual(['disconnect a edge', 'disconnect b edge']);
    expect(calls.slice(3, 5).sort()).toEqual(['connect a edge aliases=- ipv4=10.9.0.5', 'connect b edge aliases=- ipv4=10.9.0.6']);
  });

  it('when the name is taken outside the environment, the new container answers to it as a network alias, and the log says so', async () => {
    const { input, calls, steps } = harness([], { nameTaken: true });
    await switchOver(input, 'new', ALIAS);
    expect(calls).toEqual([`rename new ${ALIAS}`, 'disconnect new edge', `connect new edge aliases=${ALIAS} ipv4=-`, 'setLive']);
    expect(steps[0]).toMatch(/the name site--owner is taken outside this environment .*already in use.*network alias/);
  });

  it('says in the deploy log that in-flight requests are cut when dockerd refuses the fixed address', async () => {
    const { input, calls, steps } = harness([summary('old', { [EDGE]: '10.9.0.5' })], { refuseRejoin: true });
    await expect(switchOver(input, 'new', ALIAS)).resolves.toHaveLength(1);
    expect(calls.at(-2)).toBe('connect old edge aliases=- ipv4=10.9.0.5');
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatch(/left edge and could not rejoin at 10\.9\.0\.5, so requests in flight to it are cut: .*user configured subnets/);
  });

  it('the hand-off relay joins under the name before the holder gives it up, and retires with it', async () => {
    const relay = { ...summary('relay', { [EDGE]: '10.9.0.8' }, `${ALIAS}--handoff-abcdef`), labels: { 'cloud.helvetia.role': 'relay' } };
    const { input, calls } = harness([summary('old', { [EDGE]: '10.9.0.5' }, ALIAS), relay]);
    const previous = await switchOver(input, 'new', ALIAS, { id: 'relay', name: relay.name });
    expect(calls).toEqual([`connect relay ${EDGE} aliases=${ALIAS} ipv4=-`, `rename old ${ALIAS}--retired-*`, `rename new ${ALIAS}`, 'setLive']);
    expect(previous.map((c) => c.id)).toEqual(['old', 'relay']);
    calls.length = 0;
    vi.useFakeTimers();
    try {
      const retired = retire(input, previous);
      // A SYN lost while the relay left and rejoined comes back after 1 s: the relay is still there for 3 s.
      await vi.advanceTimersByTimeAsync(2900);
      expect(calls).not.toContain('remove relay');
      await vi.advanceTimersByTimeAsync(100);
      await retired;
    } finally {
      vi.useRealTimers();
    }
    // The relay leaves the name at its own address first; it is removed, never stopped (nc ignores SIGTERM), and its image stays.
    expect(calls).toEqual([`disconnect relay ${EDGE}`, `connect relay ${EDGE} aliases=- ipv4=10.9.0.8`, 'stop old', 'remove old', 'removeImage img-old', 'remove relay']);
  });

  it('a relay prepared for a holder that is gone by the switch is removed, not joined', async () => {
    const { input, calls } = harness([]);
    await switchOver(input, 'new', ALIAS, { id: 'relay', name: `${ALIAS}--handoff-abcdef` });
    expect(calls).toEqual(['remove relay', `rename new ${ALIAS}`, 'setLive']);
  });

  it('retires the relays a killed worker left (older, never joined), never a newer deploy\'s', async () => {
    const relay = (id: string, created: number, addresses: Record<string, string>) => ({ ...summary(id, addresses, `${ALIAS}--handoff-${id}`), created, labels: { 'cloud.helvetia.role': 'relay' } });
    const { input, calls } = harness([summary('old', { [EDGE]: '10.9.0.5' }, ALIAS), relay('leftover', 5, {}), relay('mine', 10, { [EDGE]: '10.9.0.8' }), relay('newer', 11, {})]);
    const previous = await switchOver(input, 'new', ALIAS, { id: 'mine', name: `${ALIAS}--handoff-mine` });
    expect(previous.map((c) => c.id)).toEqual(['old', 'leftover', 'mine']);
    calls.length = 0;
    vi.useFakeTimers();
    try {
      const retired = retire(input, previous);
      await vi.advanceTimersByTimeAsync(3000);
      await retired;
    } finally {
      vi.useRealTimers();
    }
    expect(calls.filter((c) => !c.startsWith('stop') && !c.startsWith('removeImage'))).toEqual([`disconnect mine ${EDGE}`, `connect mine ${EDGE} aliases=- ipv4=10.9.0.8`, 'remove old', 'remove leftover', 'remove mine']);
  });
});
