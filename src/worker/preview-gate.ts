import type { Config } from '../config/load-config.js';
import type { DockerEngine } from '../docker/engine.js';
import { LABEL } from '../docker/labels.js';
import { runtimeOf, type Runtime } from './runtime.js';
import type { DeployJobData } from '../queue/job-types.js';
import type { DeployState } from './deploy-state.js';
import { FORK_HOLD_TITLE, forkHoldReason } from './run-fork-hold.js';

export type GateDecision =
  | { proceed: true; approvedBy?: string }
  | { proceed: false; conclusion: 'action_required' | 'failure'; title: string; reason: string; comment: 'awaiting approval' | 'failed' };

/**
 * Decides, before anything is fetched or built, whether a preview may be built at all:
 * an approved fork deploy must still be on record for this exact SHA; a repository may not exceed its
 * preview cap. Production deploys always proceed.
 */
export async function previewGate(data: DeployJobData, deps: { config: Config; engine: DockerEngine; state: DeployState; runtime?: Runtime }): Promise<GateDecision> {
  if (data.pullRequest === undefined) return { proceed: true };
  if (data.fork) {
    // Only an approval enqueues a fork deploy that gets here (run-command.ts, run-fork-hold.ts):
    // it must still name the approved commit, and the approval must still be on record.
    const approvedBy = data.approvedBy && (await deps.state.approvedBy(data.repository, data.pullRequest, data.sha));
    if (!approvedBy) return { proceed: false, conclusion: 'action_required', title: FORK_HOLD_TITLE, comment: 'awaiting approval', reason: forkHoldReason(data.sha) };
    return { proceed: true, approvedBy };
  }
  // Containers on this host, or Swarm services on any node (DEPLOY_BACKEND).
  const apps = await runtimeOf(deps).listApps(deps.config.QUEUE_PREFIX, { [LABEL.repository]: data.repository });
  const others = new Set(apps.map((labels) => labels[LABEL.environment]).filter((e) => e?.startsWith('pr-') && e !== data.environment));
  if (others.size >= deps.config.PREVIEW_MAX_PER_REPO) {
    return {
      proceed: false,
      conclusion: 'failure',
      title: 'Preview limit reached',
      comment: 'failed',
      reason: `${data.repository} already has ${others.size} preview environments (PREVIEW_MAX_PER_REPO=${deps.config.PREVIEW_MAX_PER_REPO}). Close a pull request, or ask the operator to raise the limit.`,
    };
  }
  return { proceed: true };
}
