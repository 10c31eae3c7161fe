import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { GitHubClient } from './client.js';
import { SourceError } from './build-context.js';
import { SourceLimitError, type SourceLimits } from './source-archive.js';

/**
 * Opens the gzipped tarball of exactly `sha` through the GitHub API (the 302 to the archive host is
 * followed) as a stream, for contextStream to unpack as it arrives. An announced size over the
 * limit is refused before a byte is read.
 */
export async function openTarball(
  octokit: GitHubClient,
  input: { owner: string; repo: string; sha: string; limits: SourceLimits; signal?: AbortSignal },
): Promise<Readable> {
  const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', {
    owner: input.owner, repo: input.repo, ref: input.sha,
    request: { parseSuccessResponseBody: false, ...(input.signal ? { signal: input.signal } : {}) },
  });
  const body = response.data as unknown as ReadableStream<Uint8Array> | null;
  if (!body || typeof (body as { getReader?: unknown }).getReader !== 'function') {
    throw new SourceError(`unexpected tarball response for ${input.owner}/${input.repo}@${input.sha}`);
  }
  const announced = Number(response.headers['content-length']);
  if (Number.isFinite(announced) && announced > input.limits.maxBytes) {
    await body.cancel().catch(() => undefined);
    throw new SourceLimitError(`source archive is ${announced} bytes, over the ${input.limits.maxBytes}-byte limit (SOURCE_MAX_BYTES)`);
  }
  return Readable.fromWeb(body);
}
