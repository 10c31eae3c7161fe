import type { GitHubClient } from './client.js';

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive' | 'queued';

export async function createDeployment(
  octokit: GitHubClient,
  input: { owner: string; repo: string; sha: string; environment: string; description: string },
): Promise<number> {
  const production = input.environment === 'production';
  const response = await octokit.rest.repos.createDeployment({
    owner: input.owner,
    repo: input.repo,
    ref: input.sha,
    environment: input.environment,
    description: input.description,
    auto_merge: false,
    required_contexts: [],
    transient_environment: !production,
    production_environment: production,
  });
  const id = (response.data as { id?: number }).id;
  if (typeof id !== 'number') throw new Error(`GitHub did not create a deployment (HTTP ${response.status})`);
  return id;
}

export async function setDeploymentStatus(
  octokit: GitHubClient,
  input: {
    owner: string;
    repo: string;
    deploymentId: number;
    state: DeploymentState;
    description?: string;
    environmentUrl?: string;
    logUrl?: string;
  },
): Promise<void> {
  await octokit.rest.repos.createDeploymentStatus({
    owner: input.owner,
    repo: input.repo,
    deployment_id: input.deploymentId,
    state: input.state,
    ...(input.description ? { description: input.description.slice(0, 140) } : {}),
    ...(input.environmentUrl ? { environment_url: input.environmentUrl } : {}),
    ...(input.logUrl ? { log_url: input.logUrl } : {}),
    auto_inactive: true,
  });
}

/** Marks every still-active Deployment of an environment inactive (the environment is gone). */
export async function deactivateEnvironment(octokit: GitHubClient, input: { owner: string; repo: string; environment: string; description: string }): Promise<number[]> {
  const { data } = await octokit.rest.repos.listDeployments({ owner: input.owner, repo: input.repo, environment: input.environment, per_page: 30 });
  const ids: number[] = [];
  for (const deployment of data) {
    await setDeploymentStatus(octokit, { owner: input.owner, repo: input.repo, deploymentId: deployment.id, state: 'inactive', description: input.description });
    ids.push(deployment.id);
  }
  return ids;
}
