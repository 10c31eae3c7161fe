/**
 * A proxy refusal reaches the user: the worker (in process, talking to the proxy over TCP as in
 * production) fails the check run with the proxy's rule and reason in the summary, so a
 * "permission denied" from the ACLs says exactly what was refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { httpSite, PipelineHarness, randomSha } from '../helpers/pipeline.js';
import { WORKER_FLAGS, startProxy, type RunningProxy } from './proxy-harness.js';

describe('a refusal by the proxy fails the check run with the rule that refused it', () => {
  const h = new PipelineHarness();
  let proxy: RunningProxy;

  beforeAll(async () => {
    // The worker tags helvetia/<repo>:<sha>; this proxy only lets builds write other names.
    proxy = await startProxy({ ...WORKER_FLAGS, PROXY_IMAGE_PREFIXES: 'elsewhere/', EDGE_NETWORK: h.network });
    await h.start(false);
    h.deps.engine = new DockerodeEngine(proxy.docker);
    await h.startWorkers();
  });

  afterAll(async () => {
    await h.stop();
    await proxy?.close();
  });

  it('names the rule and the reason in the summary, and builds nothing', async () => {
    const check = await h.deploy(randomSha(), httpSite('never built'));
    expect(check.conclusion).toBe('failure');
    expect(check.output.summary).toContain('refused by helvetia proxy [image-name]');
    expect(check.output.summary).toContain('elsewhere/');
    expect(proxy.logs).toContainEqual(expect.objectContaining({ method: 'POST', path: '/build', decision: 'deny', rule: 'image-name', status: 403 }));
    expect(await h.docker.listImages({ filters: { label: [`cloud.helvetia.repository=${h.repository}`] } })).toEqual([]);
    expect(await h.appContainers()).toEqual([]);
  });
});
