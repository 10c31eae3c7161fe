import { ACTIONS, completeCheck, createQueuedCheck, startCheck, type CheckAction, type CheckConclusion } from '../github/checks.js';
import type { GitHubClient } from '../github/client.js';
import { createDeployment, setDeploymentStatus } from '../github/deployments.js';
import { renderPreviewComment, upsertPreviewComment, type PreviewStatus } from '../github/pr-comment.js';
import type { DeployJobData } from '../queue/job-types.js';
import type { DeployState } from './deploy-state.js';

/** Tells GitHub about one deploy job: its check run, its Deployment and (previews) the PR comment. */
export class Reporter {
  deploymentId?: number;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly data: DeployJobData,
    private readonly jobId: string,
    private readonly state: DeployState,
    public checkRunId: number | undefined,
    private readonly logUrl?: string,
  ) {}

  private get repoRef() {
    return { owner: this.data.owner, repo: this.data.repo };
  }

  /** The queued check run (created by the announce job, or here when that failed). */
  async ensureCheck(): Promise<number> {
    if (this.checkRunId === undefined) {
      this.checkRunId = await createQueuedCheck(this.octokit, { ...this.repoRef, sha: this.data.sha, externalId: this.jobId, detailsUrl: this.logUrl });
      await this.state.trackCheck({ jobId: this.jobId, ...this.repoRef, installationId: this.data.installationId, checkRunId: this.checkRunId });
    }
    return this.checkRunId;
  }

  /** Check in progress, a Deployment in progress, and the PR comment saying so. */
  async start(deploymentId?: number): Promise<void> {
    await startCheck(this.octokit, { ...this.repoRef, checkRunId: await this.ensureCheck(), detailsUrl: this.logUrl });
    this.deploymentId =
      deploymentId ??
      (await createDeployment(this.octokit, {
        ...this.repoRef,
        sha: this.data.sha,
        environment: this.data.environment,
        description: `helvetia deploy of ${this.data.sha.slice(0, 12)}`,
      }));
    await this.deploymentStatus('in_progress', 'Building');
    await this.comment({ state: 'building', sha: this.data.sha, logUrl: this.logUrl });
  }

  async deploymentStatus(state: 'in_progress' | 'success' | 'failure' | 'inactive', description: string, environmentUrl?: string): Promise<void> {
    if (this.deploymentId === undefined) return;
    await setDeploymentStatus(this.octokit, { ...this.repoRef, deploymentId: this.deploymentId, state, description, environmentUrl, logUrl: this.logUrl });
  }

  /** Edits the pull request's one bot comment (no-op for production). */
  async comment(status: PreviewStatus): Promise<void> {
    if (this.data.pullRequest === undefined) return;
    await upsertPreviewComment(this.octokit, this.state.redis, this.state.prefix, { ...this.repoRef, pullRequest: this.data.pullRequest }, renderPreviewComment(status));
  }

  /** Buttons offered on a concluded check: redeploy, and destroy for previews. */
  actionsFor(conclusion: CheckConclusion): CheckAction[] {
    if (conclusion === 'action_required') return [ACTIONS.approve];
    return this.data.pullRequest === undefined ? [ACTIONS.redeploy] : [ACTIONS.redeploy, ACTIONS.destroy];
  }

  /** Concludes the check run, then the deployment (cancelled → inactive, failures → failure). */
  async conclude(conclusion: CheckConclusion, title: string, summary: string, environmentUrl?: string): Promise<void> {
    const checkRunId = await this.ensureCheck();
    await completeCheck(this.octokit, { ...this.repoRef, checkRunId, conclusion, title, summary, detailsUrl: this.logUrl, actions: this.actionsFor(conclusion) });
    await this.state.untrackCheck(this.jobId);
    const state = conclusion === 'success' ? 'success' : conclusion === 'cancelled' || conclusion === 'neutral' ? 'inactive' : 'failure';
    await this.deploymentStatus(state, title, environmentUrl);
  }
}
