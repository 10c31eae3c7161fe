import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { StatsStore } from '../../src/history/environment-stats.js';
import { StatsSampler } from '../../src/history/stats-sampler.js';
import { DeployState } from '../../src/worker/deploy-state.js';
import { REDIS_URL } from '../helpers/env.js';
import { BASE_IMAGE, NO_NET, WORKER_FLAGS, cleanup, direct, startProxy, uniquePrefix, type RunningProxy } from './proxy-harness.js';

const P = uniquePrefix();
const MEMORY = 64 * 1024 * 1024;

describe('live resource use: the worker samples live containers through the proxy (real dockerd and Redis)', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `hvstats${randomBytes(3).toString('hex')}`;
  const state = new DeployState(redis, prefix);
  const stats = new StatsStore(redis, prefix);
  let proxy: RunningProxy;
  let ownedId = '';
  let foreignId = '';

  beforeAll(async () => {
    proxy = await startProxy(WORKER_FLAGS);
    // Allocates ~8 MB and keeps it, so the sample has something to show.
    const owned = await proxy.docker.createContainer({ name: `${P}-owned`, Image: BASE_IMAGE, Cmd: ['sh', '-c', 'head -c 8000000 /dev/zero | tr "\\0" x > /dev/shm/x 2>/dev/null || true; sleep 300'], HostConfig: { ...NO_NET, Memory: MEMORY } });
    await owned.start();
    ownedId = owned.id;
    const foreign = await direct().createContainer({ name: `${P}-foreign`, Image: BASE_IMAGE, Cmd: ['sleep', '300'], HostConfig: NO_NET });
    await foreign.start();
    foreignId = foreign.id;
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await proxy?.close();
    await cleanup(P);
  });

  it('stores CPU and memory of each live container, drops environments no longer live, and cannot read a foreign container', async () => {
    await state.setLive('o/app', 'production', ownedId, 'a'.repeat(40));
    // Someone pointed an environment at a container the bot does not own: the proxy refuses its stats.
    await state.setLive('o/app', 'pr-9', foreignId, 'b'.repeat(40));
    await stats.set('o/gone', 'production', { containerId: 'old', cpuPercent: 1, memoryBytes: 1, memoryLimitBytes: 1, at: 1 });
    const sampler = new StatsSampler({ engine: new DockerodeEngine(proxy.docker), state, stats, logger: pino({ level: 'silent' }) });
    await sampler.tick();
    const sample = await stats.get('o/app', 'production');
    expect(sample).toMatchObject({ containerId: ownedId, memoryLimitBytes: MEMORY });
    expect(sample!.memoryBytes).toBeGreaterThan(0);
    expect(sample!.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(await stats.get('o/app', 'pr-9')).toBeUndefined();
    expect(await stats.get('o/gone', 'production')).toBeUndefined();
    await expect(proxy.docker.getContainer(foreignId).stats({ stream: false })).rejects.toMatchObject({ statusCode: 403 });
  });
});
