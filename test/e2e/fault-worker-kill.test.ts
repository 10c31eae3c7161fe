import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStack, randomSha, waitFor } from '../helpers/fault-stack.js';

/**
 * Fault drill (issue 7): the worker process is SIGKILLed in the middle of a deploy and started
 * again. The job runs again (BullMQ stalled-job recovery, short lock) or concludes; no check run
 * stays open; nothing is left behind but the live deployment.
 */
describe('fault drill: worker SIGKILL mid-deploy', () => {
  // KEEP_IMAGES=1: no image kept for rollback besides the live one, so "nothing left but the live
  // deployment" covers images too (rollback's kept images are tested in rollback.test.ts).
  const stack = new FaultStack({ name: 'kill', env: { WORKER_LOCK_SECONDS: '2', HEALTH_TIMEOUT_SECONDS: '30', KEEP_IMAGES: '1' } });
  const repo = stack.repo('kill');

  beforeAll(() => stack.start());
  afterAll(() => stack.stop());

  /** Only the live deployment is left: one app container, its image, no probe or build container. */
  async function expectOnlyLive(sha: string): Promise<void> {
    // The previous containers go first, then their images (retire, or the reconcile after a kill): wait for both.
    const settled = async () => (await stack.repoContainers(repo)).length === 1 && (await stack.repoImages(repo)).length === 1;
    await waitFor('only the live deployment left', settled, 40_000).catch(() => undefined);
    const containers = await stack.repoContainers(repo);
    expect(containers.map((c) => `${c.Labels['cloud.helvetia.role']}:${c.State}:${c.Labels['cloud.helvetia.sha']}`)).toEqual([`app:running:${sha}`]);
    const images = await stack.repoImages(repo);
    expect(images.flatMap((i) => i.RepoTags ?? [])).toEqual([expect.stringMatching(new RegExp(`:${sha}$`))]);
    // Build containers carry our hvtest.tmp label (stamped into the Dockerfile): none may remain.
    const ours = await stack.docker.listContainers({ all: true, filters: { label: [`hvtest.tmp=${stack.prefix}`] } });
    expect(ours.map((c) => c.Id)).toEqual(containers.map((c) => c.Id));
  }

  /** The killed job ran again on the same check run to success, and its version alone is live. */
  async function expectRedeployed(checks: number, sha: string, body: string): Promise<void> {
    const check = await stack.waitForCompleted(repo, checks);
    expect(check.conclusion, check.output?.summary).toBe('success');
    expect(check.output.summary).toContain(sha);
    // One check run per push: the re-run reused it rather than opening another.
    expect(stack.createdChecks(repo, sha)).toHaveLength(1);
    expect(stack.allChecksCompleted(repo)).toBe(true);
    expect(await stack.served(repo)).toBe(body);
    await expectOnlyLive(sha);
  }

  it('deploys a first version (the live deployment the drills must keep or replace)', async () => {
    const check = await stack.deploy(repo, randomSha(), stack.site('v1'));
    expect(check.conclusion, check.output?.summary).toBe('success');
    expect(await stack.served(repo)).toBe('v1');
  });

  it('runs the job again after the worker is SIGKILLed during the build', async () => {
    const v2 = randomSha();
    // The RUN step is executing in a build container: kill the worker now.
    await stack.pushSlowBuild(repo, v2, 'v2', 4);
    await stack.stopProcess(stack.worker, 'worker #1', 'SIGKILL');
    stack.startWorker();
    await expectRedeployed(2, v2, 'v2');
  });

  let previous = '';

  it('runs the job again after the worker is SIGKILLed while the new container is health-checked', async () => {
    const v3 = randomSha();
    previous = v3;
    // The app listens only after a few seconds: the worker is killed while its probe waits.
    const files = {
      Dockerfile: stack.dockerfile('COPY www /www', 'CMD ["sh", "-c", "sleep 4; exec httpd -f -p 8080 -h /www"]'),
      'www/index.html': 'v3\n',
    };
    const res = await stack.push(repo, v3, files);
    expect(res.status).toBe(200);
    const probeFilter = { label: [stack.repoFilter(repo), 'cloud.helvetia.role=probe'] };
    await waitFor('the health probe to run', async () => (await stack.docker.listContainers({ filters: probeFilter })).length > 0, 60_000);
    await stack.stopProcess(stack.worker, 'worker #2', 'SIGKILL');
    stack.startWorker();
    await expectRedeployed(3, v3, 'v3');
  });

  it('concludes the check run when the job stalls again (killed twice) instead of leaving it in progress', async () => {
    const v4 = randomSha();
    const marker = `build-${v4.slice(0, 10)}`;
    expect((await stack.push(repo, v4, stack.site('v4', `RUN echo ${marker} && sleep 5 && echo built`))).status).toBe(200);
    // Each round waits for a build step started by the current worker (not the previous one's).
    const seen = new Set<string>();
    for (const round of [3, 4]) {
      const step = await waitFor(`build step (round ${round})`, async () => (await stack.containersRunning(marker)).find((c) => c.State === 'running' && !seen.has(c.Id)), 60_000);
      seen.add(step.Id);
      await stack.stopProcess(stack.worker, `worker #${round}`, 'SIGKILL');
      stack.startWorker();
    }
    const check = await stack.waitForCompleted(repo, 4);
    // Either the stalled job was re-run to the end, or it was given up and said so.
    expect(['success', 'failure']).toContain(check.conclusion);
    if (check.conclusion === 'failure') expect(check.output.summary).toMatch(/stalled|interrupted/i);
    expect(stack.createdChecks(repo, v4)).toHaveLength(1);
    expect(stack.allChecksCompleted(repo)).toBe(true);
    const [liveSha, liveBody] = check.conclusion === 'success' ? [v4, 'v4'] : [previous, 'v3'];
    expect(await stack.served(repo)).toBe(liveBody);
    await expectOnlyLive(liveSha);
    expect(stack.alive(stack.worker)).toBe(true);
  });
});
