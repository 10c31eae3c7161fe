import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStack, randomSha, waitFor } from '../helpers/fault-stack.js';
import { hostProcessCount, processMemoryMb, sleep } from '../helpers/fault-util.js';
import { startProxyProcess, type ProxyProcess } from '../helpers/proxy-process.js';

const LOG_CAP = 100_000;
const BUILD_MEMORY_MB = 64;
const BUILD_PIDS_LIMIT = 32;

/**
 * Fault drill (issue 7): hostile Dockerfiles built through the real pipeline, all at once, under
 * low limits: a fork bomb in RUN, a memory hog, an endless loop and 1 GB of build output. Each
 * check concludes `failure` or `timed_out` with the reason in its summary; meanwhile the host can
 * still fork, its process count stays far from pid_max, the worker's memory stays bounded, and a
 * live deployment of another repository keeps serving.
 *
 * The classic builder (dockerd 20.10) gives RUN containers no pids limit (the /build API has no
 * such parameter; cgroupparent and ulimits are refused by our proxy). The worker sets
 * BUILD_PIDS_LIMIT on each step's container as the builder announces it, through `helvetia proxy`
 * as in production (docker-compose.yml's flags; the proxy allows exactly that update on the steps
 * of builds it relays); the drill checks the fork bomb's step runs under it and that the proxy
 * refused nothing. Without the limit what bounds a fork bomb is the build's memory cgroup, charged
 * ~130 KB of kernel memory per task on these kernels (64 MB: a few hundred tasks), and
 * BUILD_TIMEOUT_SECONDS.
 */
describe('fault drill: hostile builds', () => {
  const stack = new FaultStack({
    name: 'hostilebuild',
    env: { BUILD_TIMEOUT_SECONDS: '10', BUILD_MEMORY_MB: String(BUILD_MEMORY_MB), BUILD_CPUS: '0.5', BUILD_LOG_MAX_BYTES: String(LOG_CAP), BUILD_PIDS_LIMIT: String(BUILD_PIDS_LIMIT), WORKER_CONCURRENCY: '4' },
  });
  const bystander = stack.repo('bystander');
  const hostile = {
    forkBomb: stack.repo('forkbomb'),
    memoryHog: stack.repo('memhog'),
    endlessLoop: stack.repo('loop'),
    logFlood: stack.repo('logflood'),
  };
  const dockerfiles: Record<keyof typeof hostile, string[]> = {
    // PID 1 of the step keeps waiting while the bomb grows in the background.
    forkBomb: ['RUN echo fork-bomb-step; f() { f | f & }; f; sleep 600'],
    memoryHog: ['RUN x=0123456789; while true; do x="$x$x"; done'],
    endlessLoop: ['RUN while :; do :; done'],
    logFlood: ['RUN yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef | head -c 1000000000; exit 3'],
  };

  let proxy: ProxyProcess | undefined;

  beforeAll(async () => {
    // The drill's edge network is created on the socket, like the operator's: allowlisted.
    proxy = await startProxyProcess({ EDGE_NETWORK: stack.network });
    await stack.start({ worker: false });
    stack.startWorker({ DOCKER_HOST: proxy.dockerHost });
  });
  afterAll(async () => {
    await stack.stop();
    await proxy?.process.stop();
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync('test-artifacts/fault-hostilebuild-proxy.log', proxy?.process.output() ?? '');
  });

  it('deploys the bystander that must keep serving', async () => {
    const check = await stack.deploy(bystander, randomSha(), stack.site('bystander'));
    expect(check.conclusion, check.output?.summary).toBe('success');
  });

  it('concludes every hostile build with its reason while the host and the bystander are unaffected', async () => {
    const baseline = hostProcessCount();
    let peakProcesses = baseline;
    let forkFailures = 0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        peakProcesses = Math.max(peakProcesses, hostProcessCount());
        if (spawnSync('true').status !== 0) forkFailures++;
        await sleep(100);
      }
    })();
    const shas = Object.fromEntries(Object.keys(hostile).map((k) => [k, randomSha()])) as Record<keyof typeof hostile, string>;
    for (const [kind, repo] of Object.entries(hostile) as [keyof typeof hostile, string][]) {
      const res = await stack.push(repo, shas[kind], { Dockerfile: stack.dockerfile(...dockerfiles[kind], 'CMD ["sleep", "600"]') });
      expect(res.status).toBe(200);
    }
    // The bomb's step runs under the pids limit the worker set on it, and stays within it.
    const step = await waitFor('the fork bomb step to run', async () => (await stack.containersRunning('fork-bomb-step')).find((c) => c.State === 'running'), 60_000);
    const bomb = stack.docker.getContainer(step.Id);
    await expect.poll(async () => (await bomb.inspect()).HostConfig.PidsLimit, { timeout: 10_000 }).toBe(BUILD_PIDS_LIMIT);
    // The worker asked helvetia proxy, which allowed it under its build-step rule (its log is flushed every second).
    await expect.poll(() => proxy!.decisions(), { timeout: 5_000 }).toContainEqual(expect.objectContaining({ decision: 'allow', rule: 'containers.update-build-step', status: 200, path: expect.stringContaining(step.Id.slice(0, 12)) }));
    await sleep(1_000);
    expect((await bomb.top()).Processes.length).toBeLessThanOrEqual(BUILD_PIDS_LIMIT);
    const checks = {} as Record<keyof typeof hostile, any>;
    const servedMeanwhile: string[] = [];
    for (const [kind, repo] of Object.entries(hostile) as [keyof typeof hostile, string][]) {
      checks[kind] = await stack.waitForCompleted(repo, 1, 120_000);
      servedMeanwhile.push(await stack.served(bystander));
    }
    done = true;
    await sampler;

    // Held at the pids limit, the bomb never reaches the memory limit: the timeout ends it.
    expect(checks.forkBomb.conclusion, checks.forkBomb.output.summary).toBe('timed_out');
    expect(checks.forkBomb.output.summary).toMatch(/did not finish within 10s/);
    expect(checks.endlessLoop.conclusion, checks.endlessLoop.output.summary).toBe('timed_out');
    expect(checks.endlessLoop.output.summary).toMatch(/did not finish within 10s/);
    expect(checks.memoryHog.conclusion, checks.memoryHog.output.summary).toBe('failure');
    expect(checks.memoryHog.output.summary).toMatch(new RegExp(`non-zero code: 137 \\(killed: most likely the build went over its memory limit of ${BUILD_MEMORY_MB} MB\\)`));
    // 1 GB does not get through in 10 s here; if it ever did, the step's own exit 3 fails it.
    expect(['timed_out', 'failure']).toContain(checks.logFlood.conclusion);
    expect(checks.logFlood.output.summary).toMatch(/did not finish within 10s|non-zero code: 3/);
    const log = await stack.buildLog(checks.logFlood);
    expect(log).toContain(`[log truncated: output exceeded ${LOG_CAP} bytes`);
    // The text export prefixes every line with its timestamp; the cap is on the lines themselves.
    const content = log.split('\n').map((line) => line.replace(/^\d{4}-\d\d-\d\dT\S+ /, '')).join('\n');
    expect(Buffer.byteLength(content)).toBeLessThan(LOG_CAP + 20_000);

    for (const [kind, sha] of Object.entries(shas)) expect(checks[kind as keyof typeof hostile].output.summary).toContain(sha);
    console.info(`hostile builds: host processes +${peakProcesses - baseline} at peak, worker peak RSS ${processMemoryMb(stack.worker!.child.pid!).peak.toFixed(0)} MB`);
    expect(forkFailures).toBe(0);
    // pid_max is 32768 on these machines; even without the pids limit a 64 MB build cgroup holds a few hundred tasks.
    expect(peakProcesses - baseline).toBeLessThan(1000);
    expect(processMemoryMb(stack.worker!.child.pid!).peak).toBeLessThan(400);
    expect(servedMeanwhile).toEqual(Object.keys(hostile).map(() => 'bystander'));
    expect(stack.alive(stack.worker) && stack.alive(stack.app)).toBe(true);
    // The worker went through the proxy and needed nothing it refuses (404: a step already gone).
    expect(stack.worker!.output()).toContain(`"DOCKER_HOST":"${proxy!.dockerHost}"`);
    expect(proxy!.decisions().filter((d) => d.decision === 'deny' && d.rule !== 'not-found')).toEqual([]);
    // Nothing of the hostile builds is left running: build containers are killed and removed.
    for (const repo of Object.values(hostile)) expect(await stack.repoContainers(repo)).toEqual([]);
    const buildContainers = async () => (await stack.docker.listContainers({ all: true, filters: { label: [`hvtest.tmp=${stack.prefix}`] } })).filter((c) => !c.Labels['cloud.helvetia.repository']);
    await waitFor('the cancelled build containers to be removed', async () => (await buildContainers()).length === 0, 60_000).catch(() => undefined);
    expect(await buildContainers()).toEqual([]);
  });
});
