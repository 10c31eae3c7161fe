import { PolicyError } from '../errors.js';
import { isObject } from '../json-strict.js';
import type { OwnerTokens } from '../labels.js';
import { queryAll, queryOne, type QueryPairs } from '../query.js';
import { queryJson } from './query-json.js';

/** Parameters forwarded as they are (inert for privileges). */
const PASS = [
  'dockerfile', 'extrahosts', 'q', 'nocache', 'pull', 'rm', 'forcerm', 'memory', 'memswap', 'cpushares',
  'cpusetcpus', 'cpusetmems', 'cpuperiod', 'cpuquota', 'shmsize', 'squash', 'platform', 'target', 'buildid',
];

/** Parameters dockerd knows that widen what a build can reach; any value but the default is refused. */
const REFUSED: Record<string, [rule: string, why: string]> = {
  remote: ['build-remote', 'remote build contexts (git/URL fetched by dockerd) are refused; send the context as the body'],
  session: ['build-buildkit', 'BuildKit sessions are refused; use the classic builder (version=1)'],
  outputs: ['build-buildkit', 'BuildKit outputs are refused'],
  isolation: ['build-isolation', 'isolation is refused'],
  cgroupparent: ['cgroup-parent', 'cgroupparent is refused'],
  ulimits: ['ulimit', 'build ulimits are refused'],
  securityopt: ['security-opt', 'build security options are refused'],
};

const BUILD_NETWORKS = ['', 'default', 'bridge', 'none'];

export interface BuildPlan {
  query: Array<[string, string]>;
  /** Image references the build will tag; each must be free or already ours. */
  tags: string[];
}

/**
 * POST /build query policy: no remote context, no host or other network, classic builder only
 * (BuildKit may grant network.host), and the image ownership labels forced through `labels` (the
 * builder applies them after the Dockerfile's own LABEL lines, so a forged value is overridden).
 * Unknown parameters are not forwarded.
 */
export function checkBuildQuery(q: QueryPairs, owner: OwnerTokens): BuildPlan {
  for (const [name, [rule, why]] of Object.entries(REFUSED)) {
    if (queryAll(q, name).some((v) => v !== '')) throw new PolicyError(rule, why);
  }
  const version = queryOne(q, 'version');
  if (version !== undefined && version !== '1') throw new PolicyError('build-buildkit', `builder version ${version} is refused; only the classic builder (version=1)`);
  const networkmode = queryOne(q, 'networkmode') ?? '';
  if (!BUILD_NETWORKS.includes(networkmode)) {
    throw new PolicyError('build-networkmode', `networkmode=${networkmode} is refused; builds run on default, bridge or none`);
  }
  const out: Array<[string, string]> = [];
  for (const name of PASS) {
    const v = queryOne(q, name);
    if (v !== undefined) out.push([name, v]);
  }
  if (networkmode !== '') out.push(['networkmode', networkmode]);
  for (const name of ['buildargs', 'cachefrom'] as const) {
    const raw = queryOne(q, name);
    if (raw === undefined) continue;
    const value = queryJson(name, raw);
    if (name === 'buildargs' && !isObject(value)) throw new PolicyError('query', 'buildargs must be a JSON object');
    if (name === 'cachefrom' && !Array.isArray(value)) throw new PolicyError('query', 'cachefrom must be a JSON array');
    out.push([name, JSON.stringify(value)]);
  }
  const rawLabels = queryOne(q, 'labels');
  const labels = rawLabels === undefined || rawLabels === '' ? null : queryJson('labels', rawLabels);
  if (labels !== null && !isObject(labels)) throw new PolicyError('query', 'labels must be a JSON object');
  if (labels !== null && Object.values(labels).some((v) => typeof v !== 'string')) throw new PolicyError('query', 'labels values must be strings');
  out.push(['labels', JSON.stringify(owner.withLabels(labels, 'image'))]);
  const tags = queryAll(q, 't').filter((t) => t !== '');
  for (const t of tags) out.push(['t', t]);
  out.push(['version', '1']);
  return { query: out, tags };
}
