import { completeCheck, createQueuedCheck, startCheck, type CheckConclusion } from '../github/checks.js';
import type { GitHubClient } from '../github/client.js';
import { createDeployment, setDeploymentStatus } from '../github/deployments.js';
import type { DeployJobData } from '../queue/job-types.js';
import type { DeployState } from './deploy-state.js';

/** Tells GitHub about one deploy job: its check run and its Deployment. */
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

  async start(deploymentId?: number): Promise<void> {
    if (this.checkRunId === undefined) {
      this.checkRunId = await createQueuedCheck(this.octokit, { ...this.repoRef, sha: this.data.sha, externalId: this.jobId, detailsUrl: this.logUrl });
      await this.state.trackCheck({ jobId: this.jobId, ...this.repoRef, installationId: this.data.installationId, checkRunId: this.checkRunId });
    }
    await startCheck(this.octokit, { ...this.repoRef, checkRunId: this.checkRunId, detailsUrl: this.logUrl });
    this.deploymentId =
      deploymentId ??
      (await createDeployment(this.octokit, {
        ...this.repoRef,
        sha: this.data.sha,
        environment: this.data.environment,
        description: `helvetia deploy of ${this.data.sha.slice(0, 12)}`,
      }));
    await this.deploymentStatus('in_progress', 'Building');
  }

  async deploymentStatus(state: 'in_progress' | 'success' | 'failure' | 'inactive', description: string, environmentUrl?: string): Promise<void> {
    if (this.deploymentId === undefined) return;
    await setDeploymentStatus(this.octokit, {
      ...this.repoRef,
      deploymentId: this.deploymentId,
      state,
      description,
      environmentUrl,
      logUrl: this.logUrl,
    });
  }

  /** Concludes the check run, then the deployment. */
  async conclude(conclusion: CheckConclusion, title: string, summary: string, environmentUrl?: string): Promise<void> {
    if (this.checkRunId !== undefined) {
      await completeCheck(this.octokit, { ...this.repoRef, checkRunId: this.checkRunId, conclusion, title, summary, detailsUrl: this.logUrl });
      await this.state.untrackCheck(this.jobId);
    }
    await this.deploymentStatus(conclusion === 'success' ? 'success' : 'failure', title, environmentUrl);
  }
}
