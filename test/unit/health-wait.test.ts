import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContainerState, DockerEngine } from '../../src/docker/engine.js';
import { waitDockerHealthy } from '../../src/docker/readiness.js';

/** An engine whose container reports `health`; `fire` delivers one container event to the watcher. */
function engineWith(initial: string) {
  let health = initial;
  let listener: ((action: string) => void) | undefined;
  let stopped = false;
  let inspections = 0;
  const engine = {
    watchContainer: async (_id: string, onEvent: (action: string) => void) => {
      listener = onEvent;
      return () => void (stopped = true);
    },
    inspectContainer: async (): Promise<ContainerState> => {
      inspections++;
      return { id: 'c', name: 'c', running: true, health, exitCode: 0, restartCount: 0, oomKilled: false, labels: {}, startedAt: '' };
    },
  } as unknown as DockerEngine;
  return {
    engine,
    set: (h: string) => void (health = h),
    fire: (action: string) => listener!(action),
    stopped: () => stopped,
    inspections: () => inspections,
  };
}

const options = (deadline: number) => ({ deadline, signal: new AbortController().signal, fail: (reason: string) => new Error(reason) });

describe('waitDockerHealthy', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('wakes on the container\'s health_status event, not on its fallback timer', async () => {
    const c = engineWith('starting');
    let done = false;
    const waiting = waitDockerHealthy(c.engine, 'c', options(Date.now() + 60_000)).then(() => void (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(c.inspections()).toBe(1);
    expect(done).toBe(false);
    c.set('healthy');
    c.fire('health_status: healthy');
    // No fake time passes: only the event can have woken it.
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    await waiting;
    expect(c.inspections()).toBe(2);
    expect(c.stopped()).toBe(true);
  });

  it('an event that arrives while the state is being read is not lost', async () => {
    const c = engineWith('starting');
    const engine = c.engine as unknown as { inspectContainer: () => Promise<ContainerState> };
    const inspect = engine.inspectContainer;
    let first = true;
    engine.inspectContainer = async () => {
      const state = await inspect();
      if (first) {
        first = false;
        c.set('healthy');
        c.fire('health_status: healthy');
      }
      return state;
    };
    let done = false;
    void waitDockerHealthy(c.engine, 'c', options(Date.now() + 60_000)).then(() => void (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });

  it('re-reads the state on its timer when no event comes (a broken stream), and fails at the deadline', async () => {
    const c = engineWith('starting');
    let failure: unknown;
    const waiting = waitDockerHealthy(c.engine, 'c', options(Date.now() + 2_500)).catch((error: unknown) => void (failure = error));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(c.inspections()).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    await waiting;
    expect(String(failure)).toMatch(/did not pass before the deadline \(Docker reports it starting\)/);
    expect(c.stopped()).toBe(true);
  });
});
