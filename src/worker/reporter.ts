import { ACTIONS, completeCheck, createCompletedCheck, createQueuedCheck, startCheck, type CheckAction, type CheckConclusion } from '../github/checks.js';
import type { GitHubClient } from '../github/client.js';
import { createDeployment, setDeploymentStatus } from '../github/deployments.js';
import { renderPreviewComment, upsertPreviewComment, type PreviewStatus } from '../github/pr-comment.js';
import type { DeployJobData } from '../queue/job-types.js';
import type { DeployState } from './deploy-state.js';

/**
 * When a deploy's progress reports may go out: each waits for its GitHub write turn (`turn`), then
 * is sent only if the job is still the environment's latest (`current`). A superseded job's
 * "building" must not reach GitHub after the live deploy's news (the PR comment would go back to
 * an old commit), nor create a Deployment for a commit that will never be live.
 */
export interface ProgressGate {
  turn: <T>(fn: () => Promise<T>) => Promise<T>;
  current: () => Promise<boolean>;
}

export interface ReporterOptions {
  /** The check run the announce job (or an earlier attempt) created. */
  checkRunId?: number;
  logUrl?: string;
  progress?: ProgressGate;
}

/** Tells GitHub about one deploy job: its check run, its Deployment and (previews) the PR comment. */
export class Reporter {
  deploymentId?: number;
  checkRunId?: number;
  private readonly logUrl?: string;
  /** The deploy serves: progress reports still waiting for their turn are moot (see markServing). */
  private serving = false;
  /** The Deployment's creation was one of them: the conclusion creates it, after the check run. */
  private deploymentDeferred = false;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly data: DeployJobData,
    private readonly jobId: string,
    private readonly state: DeployState,
    private readonly options: ReporterOptions = {},
  ) {
    this.checkRunId = options.checkRunId;
    this.logUrl = options.logUrl;
  }

  private get repoRef() {
    return { owner: this.data.owner, repo: this.data.repo };
  }

  /** The queued check run (created by the announce job, or here when that failed). */
  async ensureCheck(): Promise<number> {
    if (this.checkRunId === undefined) {
      this.checkRunId = await this.state.checks.create(this.data, () => createQueuedCheck(this.octokit, { ...this.repoRef, sha: this.data.sha, externalId: this.jobId, detailsUrl: this.logUrl }));
      await this.state.trackCheck({ jobId: this.jobId, ...this.repoRef, installationId: this.data.installationId, checkRunId: this.checkRunId });
    }
    return this.checkRunId;
  }

  /** Sends one progress report at its turn; false (nothing sent) once the job is no longer current. */
  private async progress(report: () => Promise<unknown>): Promise<boolean> {
    const gate = this.options.progress;
    if (!gate) return (await report(), true);
    return gate.turn(async () => (await gate.current()) && (await report(), true));
  }

  /**
   * The deploy is live. GitHub takes a write a second, so a fast deploy is live before its progress
   * reports have had their turns; those still waiting are dropped (a Deployment's creation moves to
   * the conclusion, after the check run), so the check turns green next instead of after them.
   */
  markServing(): void {
    this.serving = true;
  }

  /**
   * Check in progress, a Deployment in progress, and the PR comment saying so, in that order;
   * stops at the first report the job is no longer current for. True when all were sent (or
   * dropped because the deploy serves already).
   */
  async start(deploymentId?: number): Promise<boolean> {
    const reports = [
      async () => startCheck(this.octokit, { ...this.repoRef, checkRunId: await this.ensureCheck(), detailsUrl: this.logUrl }),
      async () => {
        this.deploymentId = deploymentId ?? (await this.createDeployment());
      },
      () => this.deploymentStatus('in_progress', this.data.rollback ? 'Rolling back' : 'Building'),
      () => this.comment({ state: 'building', sha: this.data.sha, logUrl: this.logUrl }),
    ];
    for (const [index, report] of reports.entries()) {
      const sent = await this.progress(async () => {
        if (!this.serving) return report();
        // Decided at the report's turn: the deploy went live while it waited.
        if (index === 1) {
          if (deploymentId !== undefined) this.deploymentId = deploymentId;
          else this.deploymentDeferred = true;
        }
      });
      if (!sent) return false;
    }
    return true;
  }

  private createDeployment(): Promise<number> {
    const description = this.data.rollback ? `Rollback to ${this.data.sha.slice(0, 12)}` : `helvetia deploy of ${this.data.sha.slice(0, 12)}`;
    return createDeployment(this.octokit, { ...this.repoRef, sha: this.data.sha, environment: this.data.environment, description });
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

  /**
   * Concludes the check run, then the deployment (cancelled → inactive, failures → failure). A job
   * with no check run yet (superseded before its announce's turn, or GitHub was down then) gets
   * one created concluded: one write instead of a queued check and its update.
   */
  async conclude(conclusion: CheckConclusion, title: string, summary: string, environmentUrl?: string): Promise<void> {
    const completion = { conclusion, title, summary, detailsUrl: this.logUrl, actions: this.actionsFor(conclusion) };
    if (this.checkRunId === undefined) {
      this.checkRunId = await this.state.checks.create(this.data, () => createCompletedCheck(this.octokit, { ...this.repoRef, sha: this.data.sha, externalId: this.jobId, ...completion }));
    } else {
      await completeCheck(this.octokit, { ...this.repoRef, checkRunId: this.checkRunId, ...completion });
      await this.state.untrackCheck(this.jobId);
    }
    const state = conclusion === 'success' ? 'success' : conclusion === 'cancelled' || conclusion === 'neutral' ? 'inactive' : 'failure';
    if (this.deploymentDeferred && this.deploymentId === undefined) this.deploymentId = await this.createDeployment();
    await this.deploymentStatus(state, title, environmentUrl);
  }
}
