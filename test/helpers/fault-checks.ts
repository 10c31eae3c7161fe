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

  private repository(repo: string): string {
    return `${this.owner}/${repo}`;
  }

  /** Check runs created for a repository (optionally one commit), as the double saw the requests. */
  createdChecks(repo: string, sha?: string): any[] {
    return this.github.checkRuns({ repository: this.repository(repo), sha }).map((c) => c.writes[0]!.body);
  }

  deploymentsCreated(repo: string, sha?: string): any[] {
    return this.github.find('POST', /\/deployments$/).filter((c) => c.path.startsWith(this.repoPath(repo)) && (!sha || c.body.ref === sha)).map((c) => c.body);
  }

  /** Final states of the check runs of a repository. */
  finalChecks(repo: string): any[] {
    return this.github.checkRuns({ repository: this.repository(repo) }).map((c) => c.state);
  }

  completedChecks(repo: string): any[] {
    return this.finalChecks(repo).filter((c) => c.status === 'completed');
  }

  /** True when every check run the double saw created for `repo` is `completed` now (one created and never concluded is not). */
  allChecksCompleted(repo: string): boolean {
    return this.finalChecks(repo).every((c) => c.status === 'completed');
  }

  /** Waits until `count` check runs of `repo` are completed (and none is left open); returns the last one completed. */
  async waitForCompleted(repo: string, count: number, timeoutMs = 120_000): Promise<any> {
    await waitFor(`${count} completed check run(s) of ${repo}`, () => this.completedChecks(repo).length >= count && this.allChecksCompleted(repo), timeoutMs);
    return this.lastCompleted(repo);
  }

  /** The most recent write that completed a check run of `repo` (its body). */
  lastCompleted(repo: string): any {
    return this.github.checkCompletions(this.repository(repo)).at(-1)?.body;
  }
}
