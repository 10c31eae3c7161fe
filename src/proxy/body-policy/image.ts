import { PolicyError } from '../errors.js';
import { queryAll, queryOne, type QueryPairs } from '../query.js';

/**
 * POST /images/create is a pull only: fromSrc (import a tarball or fetch a URL from the daemon)
 * and its repo/message/changes companions are refused. Unknown parameters are not forwarded.
 */
export function checkImagePull(q: QueryPairs): Array<[string, string]> {
  for (const name of ['fromSrc', 'repo', 'message', 'changes']) {
    if (queryAll(q, name).length > 0) throw new PolicyError('image-import', `${name} is refused: only pulls (fromImage) are allowed, not imports`);
  }
  const fromImage = queryOne(q, 'fromImage');
  if (!fromImage) throw new PolicyError('image-pull', 'fromImage is required');
  const out: Array<[string, string]> = [['fromImage', fromImage]];
  for (const name of ['tag', 'platform']) {
    const v = queryOne(q, name);
    if (v !== undefined) out.push([name, v]);
  }
  return out;
}

/**
 * A name a build, tag or commit writes must start with one of PROXY_IMAGE_PREFIXES, so the bot
 * cannot seed a name another service will run (redis:7, the proxy's own image, ...).
 */
export function checkImageName(name: string, prefixes: readonly string[]): string {
  if (!prefixes.some((p) => name.startsWith(p))) {
    throw new PolicyError('image-name', `image name ${name} is outside PROXY_IMAGE_PREFIXES (${prefixes.join(', ')})`);
  }
  return name;
}

/** The reference a tag or commit writes (repo[:tag]); it must not take over a name that is not ours. */
export function targetReference(q: QueryPairs): string | null {
  const repo = queryOne(q, 'repo');
  if (!repo) return null;
  const tag = queryOne(q, 'tag');
  return tag ? `${repo}:${tag}` : repo;
}
