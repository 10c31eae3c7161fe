import type { GitHubClient } from './client.js';
import { SourceError } from './build-context.js';

/** Downloads the gzipped tarball of exactly `sha` through the GitHub API (follows the 302). */
export async function downloadTarball(
  octokit: GitHubClient,
  input: { owner: string; repo: string; sha: string; maxBytes: number },
): Promise<Buffer> {
  const response = await octokit.rest.repos.downloadTarballArchive({ owner: input.owner, repo: input.repo, ref: input.sha });
  const data = response.data as unknown;
  const buffer = data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.isBuffer(data) ? data : undefined;
  if (!buffer) throw new SourceError(`unexpected tarball response for ${input.owner}/${input.repo}@${input.sha}`);
  if (buffer.length > input.maxBytes) {
    throw new SourceError(`source archive is ${buffer.length} bytes, over the ${input.maxBytes}-byte limit`);
  }
  return buffer;
}
