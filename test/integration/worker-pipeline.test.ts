import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/docker/labels.js';
import { runIntake } from '../../src/queue/intake-script.js';
import { concludeLeftoverChecks } from '../../src/worker/leftover-checks.js';
import { reconcile } from '../../src/worker/reconcile.js';
import { httpSite, PipelineHarness, randomSha } from '../helpers/pipeline.js';

describe('worker pipeline on real dockerd and Redis', () => {
  const h = new PipelineHarness({ BUILD_TIMEOUT_SECONDS: '6', HEALTH_TIMEOUT_SECONDS: '4' });
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('times out a build that runs too long and cleans up after it', async () => {
    const check = await h.deploy(randomSha(), { Dockerfile: 'FROM helvetia-base:latest\nRUN echo sleeping && sleep 120\n' });
    expect(check.conclusion).toBe('timed_out');
    expect(check.output.summary).toMatch(/did not finish within 6s/);
    // the classic builder's intermediate container went with the cancelled build
    await expect.poll(async () => (await h.docker.listContainers({ all: true, filters: { ancestor: ['helvetia-base:latest'] } }))
      .filter((c) => c.Command.includes('sleep 120')).length, { timeout: 20_000 }).toBe(0);
  });

  it('keeps the live container when the new one never answers, and says why', async () => {
    const good = randomSha();
    expect((await h.deploy(good, httpSite('v1'))).conclusion).toBe('success');
    const [live] = await h.appContainers();
    const check = await h.deploy(randomSha(), { Dockerfile: 'FROM helvetia-base:latest\nCMD ["sh", "-c", "echo not listening; sleep 600"]\n' });
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe('Container never became healthy');
    expect(check.output.summary).toMatch(/no HTTP answer on port 8080/);
    const after = await h.appContainers();
    expect(after.map((c) => c.Id)).toEqual([live!.Id]);
    expect(after[0]!.Labels[LABEL.sha]).toBe(good);
  });

  it('fails a container that exits at once with its exit code and output', async () => {
    const check = await h.deploy(randomSha(), { Dockerfile: 'FROM helvetia-base:latest\nCMD ["sh", "-c", "echo crashing now; exit 7"]\n' });
    expect(check.conclusion).toBe('failure');
    expect(check.output.summary).toMatch(/exited with code 7|restarted/);
    expect(check.output.summary).toContain('crashing now');
    expect(await h.appContainers()).toHaveLength(1);
  });

  it('reconciles on start: removes orphans of dead jobs, keeps the live container, concludes open checks', async () => {
    const [live] = await h.appContainers();
    const orphan = await h.docker.createContainer({
      Image: 'helvetia-base:latest', Cmd: ['sleep', '600'],
      Labels: { [LABEL.managed]: 'true', [LABEL.instance]: h.prefix, [LABEL.repository]: h.repository, [LABEL.environment]: 'production', [LABEL.role]: 'app', [LABEL.job]: 'deploy-gone-job', [LABEL.sha]: 'x' },
    });
    await orphan.start();
    await h.deps.state.trackCheck({ jobId: 'deploy-gone-job', owner: h.owner, repo: h.repo, installationId: 1, checkRunId: 4242 });
    // A superseded job whose "cancelled" was still waiting to be sent when its worker stopped.
    const newer = 'b'.repeat(40);
    // The intake's claim alone, stored in a stream no dispatcher reads: no job is ever made of it.
    const unread = { jobKey: '', stream: `${h.prefix}:unread-intake`, pending: `${h.prefix}:unread-intake:pending` };
    const claim = (jobId: string, by: string) =>
      runIntake(h.producer, unread, { kind: 'deploy', jobId, data: '{}' }, h.deps.supersession.claimOf({ repository: h.repository, environment: 'pr-77' }, by));
    await claim('deploy-superseded-job', 'first');
    await claim('deploy-newer-job', newer);
    await h.deps.state.trackCheck({ jobId: 'deploy-superseded-job', owner: h.owner, repo: h.repo, installationId: 1, checkRunId: 4343 });
    const report = await reconcile(h.deps, h.queue.queue);
    expect(report.concludedChecks.sort()).toEqual([4242, 4343]);
    const ids = (await h.appContainers()).map((c) => c.Id);
    expect(ids).toEqual([live!.Id]);
    expect(h.github.checkRunUpdates(4242).at(-1)).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Deploy interrupted' } });
    expect(h.github.checkRunUpdates(4343).at(-1)).toMatchObject({ status: 'completed', conclusion: 'cancelled', output: { title: 'Superseded by bbbbbbb' } });
    expect(await h.deps.state.openChecks()).toEqual([]);
  });

  it('leaves a check whose report a worker holds (leased) alone, and concludes it once the lease is released, on the periodic pass too', async () => {
    await h.deps.state.trackCheck({ jobId: 'deploy-handed-off', owner: h.owner, repo: h.repo, installationId: 1, checkRunId: 4545 });
    await h.deps.state.leaseReport('deploy-handed-off', 60);
    expect(await concludeLeftoverChecks(h.deps, h.queue.queue)).toEqual([]);
    expect(h.github.checkRunUpdates(4545)).toEqual([]);
    // The report failed (its lease released): the next pass concludes the check, once.
    await h.deps.state.releaseReport('deploy-handed-off');
    expect(await concludeLeftoverChecks(h.deps, h.queue.queue)).toEqual([4545]);
    expect(await concludeLeftoverChecks(h.deps, h.queue.queue)).toEqual([]);
    expect(h.github.checkRunUpdates(4545)).toHaveLength(1);
    expect(h.github.checkRunUpdates(4545)[0]).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Deploy interrupted' } });
  });
});
