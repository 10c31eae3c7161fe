import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStack, randomSha } from '../helpers/fault-stack.js';

/**
 * Fault drill (issue 7): GitHub (or an attacker replaying a captured delivery) sends the same
 * delivery 100 times at once: exactly one build. A manual redelivery of a delivery whose job
 * failed builds again.
 */
describe('fault drill: duplicate and redelivered deliveries', () => {
  const stack = new FaultStack({ name: 'dup' });
  const repo = stack.repo('dup');

  beforeAll(() => stack.start());

  /** Deploy job hashes stored for one delivery (not their :logs, :lock, ... companions). */
  const deployJobs = async (deliveryId: string) => (await stack.redisKeys(`:helvetia-deploy:deploy-${deliveryId}-`)).filter((k) => /:helvetia-deploy:deploy-[^:]+$/.test(k));
  afterAll(() => stack.stop());

  it('builds once when the same delivery arrives 100 times concurrently', async () => {
    const sha = randomSha();
    const deliveryId = `dup-${sha.slice(0, 12)}`;
    stack.github.addCommit('hvfault', repo, sha, stack.site(`once ${sha}`));
    const answers = await Promise.all(Array.from({ length: 100 }, () => stack.push(repo, sha, undefined, { deliveryId })));
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    const check = await stack.waitForCompleted(repo, 1);
    expect(check.conclusion, check.output?.summary).toBe('success');
    // Stragglers would have been stored with the first: by now every job of this delivery ran.
    expect(await deployJobs(deliveryId)).toHaveLength(1);
    expect(stack.createdChecks(repo, sha)).toHaveLength(1);
    // Its Deployment may follow the check run (made at the conclusion when the deploy was that fast).
    await expect.poll(() => stack.deploymentsCreated(repo, sha).length, { timeout: 10_000 }).toBe(1);
    expect(stack.allChecksCompleted(repo)).toBe(true);
    const images = await stack.repoImages(repo);
    expect(images.flatMap((i) => i.RepoTags ?? [])).toEqual([expect.stringMatching(new RegExp(`:${sha}$`))]);
    const apps = await stack.docker.listContainers({ all: true, filters: { label: [stack.repoFilter(repo), 'cloud.helvetia.role=app'] } });
    expect(apps).toHaveLength(1);
    expect(await stack.served(repo)).toBe(`once ${sha}`);
  });

  it('builds again when a delivery whose job failed is redelivered', async () => {
    const sha = randomSha();
    const deliveryId = `redeliver-${sha.slice(0, 12)}`;
    // The commit's tarball is not available yet (GitHub answers 404): the deploy fails for good.
    const first = await stack.push(repo, sha, undefined, { deliveryId });
    expect(first.status).toBe(200);
    const failed = await stack.waitForCompleted(repo, 2);
    expect(failed.conclusion).toBe('failure');
    expect(failed.output.summary).toContain(sha);
    // A second copy of the failed delivery while nothing changed would fail the same way; now the
    // source exists and the maintainer presses "Redeliver".
    stack.github.addCommit('hvfault', repo, sha, stack.site(`redelivered ${sha}`));
    const again = await stack.push(repo, sha, undefined, { deliveryId });
    expect(again.status).toBe(200);
    const check = await stack.waitForCompleted(repo, 3);
    expect(check.conclusion, check.output?.summary).toBe('success');
    expect(check.output.summary).toContain(sha);
    expect(await stack.served(repo)).toBe(`redelivered ${sha}`);
    // And a redelivery of the now successful delivery builds nothing more.
    // The app answers only after Redis stored (or refused) the job, so this is already settled.
    expect((await stack.push(repo, sha, undefined, { deliveryId })).status).toBe(200);
    expect(await deployJobs(deliveryId)).toHaveLength(1);
    expect(stack.createdChecks(repo, sha)).toHaveLength(2);
  });
});
