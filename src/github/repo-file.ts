import type { ReadableStream } from 'node:stream/web';
import type { GitHubClient } from './client.js';
import { SourceError } from './build-context.js';

/** The file is larger than the caller accepts. */
export class FileTooLargeError extends SourceError {
  override readonly name = 'FileTooLargeError';
}

/**
 * The text of the file at `path` in exactly `ref`, through the contents API (raw), or undefined when
 * the commit has no such file. Read as it streams, never more than `maxBytes`: a larger file is
 * refused, naming the path and the limit.
 */
export async function readRepoFile(
  octokit: GitHubClient,
  input: { owner: string; repo: string; path: string; ref: string; maxBytes: number; signal?: AbortSignal },
): Promise<string | undefined> {
  let response;
  try {
    response = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: input.owner, repo: input.repo, path: input.path, ref: input.ref,
      mediaType: { format: 'raw' },
      request: { parseSuccessResponseBody: false, ...(input.signal ? { signal: input.signal } : {}) },
    });
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
  const body = response.data as unknown as ReadableStream<Uint8Array>;
  const type = String(response.headers['content-type'] ?? '');
  // A folder answers with its listing (JSON) even when the raw file is asked for.
  if (type.startsWith('application/json')) {
    await body.cancel().catch(() => undefined);
    throw new SourceError(`${input.path} is not a file`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > input.maxBytes) {
      await body.cancel().catch(() => undefined);
      throw new FileTooLargeError(`${input.path} is over the ${input.maxBytes}-byte limit`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
