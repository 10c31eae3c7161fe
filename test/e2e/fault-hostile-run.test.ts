import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStack, randomSha } from '../helpers/fault-stack.js';

/**
 * Fault drill (issue 7): hostile repositories that fill the disk while building, or whose
 * container exits at once or never listens. Each check concludes `failure` with the reason in its
 * summary, the live deployment keeps serving throughout (a new version that never becomes healthy
 * never replaces it), and the daemon recovers. The daemon is the drill's own, with its data root
 * on a small tmpfs: a disk that really fills up without touching the host's.
 */
describe('fault drill: hostile repositories at build and run time', () => {
  const stack = new FaultStack({ name: 'hostilerun', privateDaemon: { dataTmpfsMb: 256 }, env: { HEALTH_TIMEOUT_SECONDS: '6' } });
  const live = stack.repo('live');
  const disk = stack.repo('diskfill');

  beforeAll(() => stack.start());
  afterAll(() => stack.stop());

  /** The live repository still serves v1 from its one container. */
  async function expectLiveUnaffected(): Promise<void> {
    expect(await stack.served(live)).toBe('v1');
    const apps = await stack.docker.listContainers({ all: true, filters: { label: [stack.repoFilter(live), 'cloud.helvetia.role=app'] } });
    expect(apps.map((c) => c.State)).toEqual(['running']);
  }

  it('deploys the live version', async () => {
    const check = await stack.deploy(live, randomSha(), stack.site('v1'));
    expect(check.conclusion, check.output?.summary).toBe('success');
  });

  it('fails a build that fills the disk, names the reason, and the next build succeeds', async () => {
    const sha = randomSha();
    const check = await stack.deploy(disk, sha, stack.site('never', 'RUN dd if=/dev/zero of=/fill bs=1M count=2000'));
    expect(check.conclusion, check.output?.summary).toBe('failure');
    expect(check.output.summary).toContain(sha);
    expect(check.output.summary).toMatch(/No space left on device/);
    await expectLiveUnaffected();
    // The failed step's container went with its data: the disk is usable again.
    const next = await stack.deploy(disk, randomSha(), stack.site('after the flood'));
    expect(next.conclusion, next.output?.summary).toBe('success');
    expect(await stack.served(disk)).toBe('after the flood');
  });

  it('keeps the live version when the new container exits at once', async () => {
    const sha = randomSha();
    const check = await stack.deploy(live, sha, { Dockerfile: stack.dockerfile('CMD ["sh", "-c", "echo bye; exit 3"]') });
    expect(check.conclusion, check.output?.summary).toBe('failure');
    expect(check.output.summary).toContain(sha);
    expect(check.output.summary).toMatch(/exited with code 3/);
    await expectLiveUnaffected();
  });

  it('keeps the live version when the new container never listens', async () => {
    const sha = randomSha();
    const check = await stack.deploy(live, sha, { Dockerfile: stack.dockerfile('CMD ["sleep", "600"]') });
    expect(check.conclusion, check.output?.summary).toBe('failure');
    expect(check.output.summary).toContain(sha);
    expect(check.output.summary).toMatch(/no HTTP answer on port 8080 after 6s/);
    await expectLiveUnaffected();
    expect(stack.allChecksCompleted(live)).toBe(true);
  });
});
