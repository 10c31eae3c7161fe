import type { GitHubDouble } from './github-double.js';
import { waitFor } from './fault-util.js';

/**
 * What the bot told the GitHub double about one owner's repositories: check runs created, their
 * updates and final states, deployments. Fault drills assert on these instead of on timings.
 */
export class FaultChecks {
  constructor(readonly github: GitHubDouble, readonly owner: string) {}

  private repoPath(repo: string): string {
    return `/api/v3/repos/${this.owner}/${repo}/`;
  }

  /** Check runs created for a repository (optionally one commit), as the double saw the requests. */
  createdChecks(repo: string, sha?: string): any[] {
    return this.github.find('POST', /\/check-runs$/).filter((c) => c.path.startsWith(this.repoPath(repo)) && (!sha || c.body.head_sha === sha)).map((c) => c.body);
  }

  deploymentsCreated(repo: string, sha?: string): any[] {
    return this.github.find('POST', /\/deployments$/).filter((c) => c.path.startsWith(this.repoPath(repo)) && (!sha || c.body.ref === sha)).map((c) => c.body);
  }

  /** Every update of every check run of a repository, by id, in order. */
  checkUpdates(repo: string): Map<number, any[]> {
    const byId = new Map<number, any[]>();
    for (const call of this.github.find('PATCH', /\/check-runs\/\d+$/)) {
      if (!call.path.startsWith(this.repoPath(repo))) continue;
      const id = Number(call.path.split('/').pop());
      byId.set(id, [...(byId.get(id) ?? []), call.body]);
    }
    return byId;
  }

  /** Final states of the check runs of a repository: the last update of each. */
  finalChecks(repo: string): any[] {
    return [...this.checkUpdates(repo).values()].map((updates) => updates.at(-1));
  }

  completedChecks(repo: string): any[] {
    return this.finalChecks(repo).filter((c) => c.status === 'completed');
  }

  /**
   * True when every check run the double saw created for `repo` has ended `completed`: the check
   * runs that received updates are exactly as many as were created, and each one's last update
   * completed it (a run that was created and never updated stays queued and fails this).
   */
  allChecksCompleted(repo: string): boolean {
    const finals = this.finalChecks(repo);
    return finals.length === this.createdChecks(repo).length && finals.every((c) => c.status === 'completed');
  }

  /** Waits until `count` check runs of `repo` are completed (and none is left open); returns the last one completed. */
  async waitForCompleted(repo: string, count: number, timeoutMs = 120_000): Promise<any> {
    await waitFor(`${count} completed check run(s) of ${repo}`, () => this.completedChecks(repo).length >= count && this.allChecksCompleted(repo), timeoutMs);
    return this.lastCompleted(repo);
  }

  /** The most recent `completed` update of any check run of `repo`. */
  lastCompleted(repo: string): any {
    return this.github
      .find('PATCH', /\/check-runs\/\d+$/)
      .filter((c) => c.path.startsWith(this.repoPath(repo)) && c.body.status === 'completed')
      .at(-1)?.body;
  }
}
