import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStack, randomSha, waitFor } from '../helpers/fault-stack.js';

/**
 * Fault drill (issue 7): dockerd stops in the middle of a build and comes back. The deploy fails
 * with a reason that names Docker (not a bare socket error), the live deployment is back once the
 * daemon is, and a redelivery of the same push builds and deploys. The drill kills a dockerd of
 * its own (TestDaemon): the shared daemon is never touched.
 */
describe('fault drill: dockerd restarted during a build', () => {
  const stack = new FaultStack({ name: 'dockerd', privateDaemon: true });
  const repo = stack.repo('dockerd');

  beforeAll(() => stack.start());
  afterAll(() => stack.stop());

  it('deploys a first version', async () => {
    const check = await stack.deploy(repo, randomSha(), stack.site('v1'));
    expect(check.conclusion, check.output?.summary).toBe('success');
  });

  it('fails the build with a clear reason when dockerd stops mid-build, and a redelivery succeeds once it is back', async () => {
    const sha = randomSha();
    const res = await stack.pushSlowBuild(repo, sha, 'v2', 8);
    // Stopped as `systemctl restart docker` does (SIGTERM; see TestDaemon.restart on SIGKILL).
    await stack.daemon!.kill('SIGTERM');
    // The daemon stays down until the deploy concluded (its automatic retry included).
    const failed = await stack.waitForCompleted(repo, 2, 90_000);
    expect(failed.conclusion).toBe('failure');
    expect(failed.output.summary).toContain(sha);
    expect(failed.output.summary).toMatch(/Docker daemon/i);
    expect(stack.allChecksCompleted(repo)).toBe(true);

    await stack.daemon!.start();
    // The previous deployment comes back with the daemon (restart policy unless-stopped).
    expect(await waitFor('v1 to serve again', async () => (await stack.served(repo)) === 'v1', 60_000)).toBe(true);
    const again = await stack.push(repo, sha, undefined, { deliveryId: res.deliveryId });
    expect(again.status).toBe(200);
    const check = await stack.waitForCompleted(repo, 3, 90_000);
    expect(check.conclusion, check.output?.summary).toBe('success');
    expect(check.output.summary).toContain(sha);
    expect(await stack.served(repo)).toBe('v2');
    expect(stack.alive(stack.worker)).toBe(true);
  });
});
