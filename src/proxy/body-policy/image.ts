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

/** Where the bot's image names may live: PROXY_IMAGE_PREFIXES, locally or under the cluster's registry. */
export interface ImageRule {
  imagePrefixes: readonly string[];
  /** host[:port] of REGISTRY_URL, or null. */
  registry: string | null;
}

/** The name without the configured registry in front, or null when it does not start with it. */
const underRegistry = (name: string, registry: string | null): string | null =>
  registry !== null && name.startsWith(`${registry}/`) ? name.slice(registry.length + 1) : null;

/**
 * A name a build, tag, commit, push or service writes or runs must start with one of
 * PROXY_IMAGE_PREFIXES (also behind the REGISTRY_URL host: registry:5000/helvetia/…), so the bot
 * cannot seed a name another service will run (redis:7, the proxy's own image, ...).
 */
export function checkImageName(name: string, rule: ImageRule): string {
  const repository = underRegistry(name, rule.registry) ?? name;
  if (!rule.imagePrefixes.some((p) => repository.startsWith(p))) {
    const where = rule.registry ? `, here or under ${rule.registry}/` : '';
    throw new PolicyError('image-name', `image name ${name} is outside PROXY_IMAGE_PREFIXES (${rule.imagePrefixes.join(', ')}${where})`);
  }
  return name;
}

/** A push sends an image off the host: only to REGISTRY_URL, and only under the prefixes. */
export function checkPushTarget(name: string, rule: ImageRule): string {
  if (rule.registry === null) throw new PolicyError('image-push', `pushing ${name} is refused: REGISTRY_URL is not set, so there is no registry images may go to`);
  if (underRegistry(name, rule.registry) === null) throw new PolicyError('image-push', `${name} is not in the cluster's registry ${rule.registry}; only pushes there are allowed`);
  return checkImageName(name, rule);
}

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/**
 * A service's image. With REGISTRY_URL set (a cluster), it must come from that registry by digest:
 * every node pulls it, and a tag could be re-pointed between nodes (or resolve on Docker Hub). Without
 * it (a single-node swarm), a local image under the prefixes, as for containers.
 */
export function checkServiceImage(image: string, rule: ImageRule): string {
  if (rule.registry !== null) {
    if (underRegistry(image, rule.registry) === null || !DIGEST.test(image)) {
      throw new PolicyError('image-name', `service image ${image} must be ${rule.registry}/<name>@sha256:<digest> (deployed by digest from REGISTRY_URL)`);
    }
  }
  return checkImageName(image, rule);
}

/** The reference a tag or commit writes (repo[:tag]); it must not take over a name that is not ours. */
export function targetReference(q: QueryPairs): string | null {
  const repo = queryOne(q, 'repo');
  if (!repo) return null;
  const tag = queryOne(q, 'tag');
  return tag ? `${repo}:${tag}` : repo;
}
