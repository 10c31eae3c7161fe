import type { RepoConfig } from '../config/repo-config.js';
import { ACTIONS, setCheckActions } from '../github/checks.js';
import type { DeployJobData } from '../queue/job-types.js';
import type { WorkerDeps } from './run-deploy.js';

/**
 * After a successful swap: the new image heads the environment's kept images (KEEP_IMAGES for
 * production, one for a preview). Images that fall out are removed from the engine unless another
 * environment still keeps them (a preview and production of one commit share its image). Returns
 * what changed, for the check runs' buttons. An image that drops out while a container still uses
 * it (a previous deploy still draining) goes with that container: retire spares only what is kept then.
 */
export async function keepDeployedImage(
  deps: Pick<WorkerDeps, 'config' | 'engine' | 'history'>,
  data: DeployJobData,
  deployed: { image: string; jobId: string; checkRunId?: number; repoConfig: RepoConfig },
): Promise<{ previous?: number; dropped: number[] }> {
  const history = deps.history;
  if (!history) return { dropped: [] };
  const limit = data.pullRequest === undefined ? deps.config.KEEP_IMAGES : 1;
  const { kept: nowKept, dropped } = await history.keep(data.repository, data.environment, { sha: data.sha, image: deployed.image, jobId: deployed.jobId, checkRunId: deployed.checkRunId, repoConfig: deployed.repoConfig, deployedAt: Date.now() }, limit);
  const kept = await history.allKeptImages();
  for (const old of dropped) if (!kept.has(old.image)) await deps.engine.removeImage(old.image);
  const production = data.pullRequest === undefined;
  // The deploy this one replaced, when its image is still kept (behind the new one).
  const previous = nowKept[1];
  return {
    previous: production ? previous?.checkRunId : undefined,
    // A preview's check runs never offered "Roll back" (they keep only their current image).
    dropped: production ? dropped.flatMap((d) => (d.checkRunId === undefined || d.checkRunId === deployed.checkRunId ? [] : [d.checkRunId])) : [],
  };
}

/**
 * Production check runs offer "Roll back" exactly while their image is kept behind the live one:
 * the deploy just replaced gains the button, those whose image went lose it. Each check's buttons
 * follow the kept images as they are when the update is sent, not when it was queued: these
 * updates run off the job's slot, and a later deploy's may overtake an earlier one's.
 */
export async function updateRollbackButtons(
  github: { octokit: Parameters<typeof setCheckActions>[0]; turn: <T>(fn: () => Promise<T>) => Promise<T> },
  history: Pick<NonNullable<WorkerDeps['history']>, 'kept'>,
  data: DeployJobData,
  change: { previous?: number; dropped: number[] },
): Promise<void> {
  const repo = { owner: data.owner, repo: data.repo };
  for (const checkRunId of [...(change.previous === undefined ? [] : [change.previous]), ...change.dropped]) {
    // Read at the write's own turn, so whichever update goes out last sets what is true then.
    await github.turn(async () => {
      const offering = new Set((await history.kept(data.repository, data.environment)).slice(1).map((k) => k.checkRunId));
      await setCheckActions(github.octokit, { ...repo, checkRunId, actions: offering.has(checkRunId) ? [ACTIONS.redeploy, ACTIONS.rollback] : [ACTIONS.redeploy] });
    });
  }
}
