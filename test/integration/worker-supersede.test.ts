import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployJobId } from '../../src/queue/job-types.js';
import { httpSite, PipelineHarness, randomSha } from '../helpers/pipeline.js';

describe('a deploy superseded before GitHub heard of it (real Redis, dockerd, worker)', () => {
  const h = new PipelineHarness();
  beforeAll(() => h.start(false));
  afterAll(() => h.stop());

  it('gets no queued check run: its cancellation is one write, a check run created completed', async () => {
    const [old, latest] = [randomSha(), randomSha()];
    h.github.addCommit(h.owner, h.repo, old, httpSite('old'));
    h.github.addCommit(h.owner, h.repo, latest, httpSite('latest'));
    // The old commit's flow exists with its announce child (dispatched alone, as when pushes are
    // a batch apart); the newer push is stored before any worker ran the announce.
    const oldJob = h.job(old);
    const { jobId } = await h.queue.enqueue(oldJob);
    expect(jobId).toBe(deployJobId(oldJob.deliveryId, old));
    await h.queue.materialize([{ kind: 'deploy', jobId, data: oldJob }]);
    await h.queue.enqueue(h.job(latest));
    await h.startWorkers();

    await expect.poll(() => h.github.checkOf(latest)?.conclusion, { timeout: 60_000, interval: 200 }).toBe('success');
    await expect.poll(() => h.github.checkOf(old)?.status, { timeout: 30_000, interval: 200 }).toBe('completed');
    const [check, ...more] = h.github.checkRuns({ sha: old });
    expect(more).toEqual([]);
    expect(check!.writes.map((w) => w.method)).toEqual(['POST']);
    expect(check!.state).toMatchObject({ status: 'completed', conclusion: 'cancelled', external_id: jobId, output: { title: `Superseded by ${latest.slice(0, 7)}` } });
    // The live commit's check run went through queued → (in progress, unless it was live before
    // that report's turn) → completed as usual.
    expect(['queued,in_progress,completed', 'queued,completed']).toContain(h.github.checkRuns({ sha: latest })[0]!.writes.map((w) => w.body.status).join(','));
  });
});
