import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { GitHubClient } from './client.js';
import { SourceError } from './build-context.js';
import { SourceLimitError, type SourceLimits } from './source-archive.js';
import type { ArchiveSource } from '../docker/build-thread-messages.js';
import type { ContextPlan } from './context-stream.js';

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

/**
 * Where the engine's build thread downloads the tarball of exactly `sha` itself: the API URL (the
 * 302 to the archive host is followed, without the token) and the installation token's header.
 */
export async function archiveSource(octokit: GitHubClient, data: { owner: string; repo: string; sha: string }, plan: ContextPlan): Promise<ArchiveSource> {
  const { token } = (await octokit.auth({ type: 'installation' })) as { token: string };
  const endpoint = octokit.request.endpoint('GET /repos/{owner}/{repo}/tarball/{ref}', { owner: data.owner, repo: data.repo, ref: data.sha });
  const headers = Object.fromEntries(Object.entries(endpoint.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { url: endpoint.url, headers: { ...headers, authorization: `token ${token}` }, plan };
}
