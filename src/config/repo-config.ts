import { isMap, isScalar, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { checkAgainstServer, type RepoLimits } from './repo-config-checks.js';
import { repoConfigSchema, type RepoConfig } from './repo-config-schema.js';

export type { RepoConfig } from './repo-config-schema.js';
export type { RepoLimits } from './repo-config-checks.js';

export const REPO_CONFIG_FILE = '.helvetia.yml';
/** Bounds on what a repository makes the worker parse, checked before (bytes) and while (keys) parsing. */
export const REPO_CONFIG_MAX_BYTES = 64 * 1024;
export const REPO_CONFIG_MAX_KEYS = 2000;

/** A .helvetia.yml the bot cannot use; the message names the line and the problem. */
export class RepoConfigError extends Error {
  override readonly name = 'RepoConfigError';
}

function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, path: PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    if (!pair) break;
    node = pair.value ?? pair.key;
  }
  const range = (node as Node | null)?.range;
  return range ? counter.linePos(range[0]).line : undefined;
}

/**
 * Counts every key and refuses duplicates in one linear pass (yaml's own `uniqueKeys` check is
 * quadratic in a map's size, seconds for a file of 20,000 keys); undefined when within bounds.
 */
function keyProblem(doc: ReturnType<typeof parseDocument>, counter: LineCounter): string | undefined {
  let keys = 0;
  let problem: string | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        const range = (pair.key as Node | null)?.range;
        const at = range ? ` line ${counter.linePos(range[0]).line}` : '';
        if (++keys > REPO_CONFIG_MAX_KEYS) problem = `${REPO_CONFIG_FILE}${at}: more than ${REPO_CONFIG_MAX_KEYS} keys in the file (the limit is ${REPO_CONFIG_MAX_KEYS})`;
        else if (seen.has(key)) problem = `${REPO_CONFIG_FILE}${at}: duplicate key ${JSON.stringify(key)}`;
        if (problem) return visit.BREAK;
        seen.add(key);
      }
      return undefined;
    },
  });
  return problem;
}

/** Parses and validates .helvetia.yml (absent → defaults) against the server's limits. */
export function parseRepoConfig(text: string | undefined, limits: RepoLimits): RepoConfig {
  let raw: unknown = {};
  const counter = new LineCounter();
  const size = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  if (size > REPO_CONFIG_MAX_BYTES) throw new RepoConfigError(`${REPO_CONFIG_FILE} is ${size} bytes, over the ${REPO_CONFIG_MAX_BYTES}-byte limit`);
  const doc = parseDocument(text ?? '', { lineCounter: counter, uniqueKeys: false });
  if (text !== undefined) {
    const yamlError = doc.errors[0];
    if (yamlError) {
      const line = yamlError.linePos?.[0]?.line;
      throw new RepoConfigError(`${REPO_CONFIG_FILE}${line ? ` line ${line}` : ''}: ${yamlError.message.split('\n')[0]}`);
    }
    const problem = keyProblem(doc, counter);
    if (problem) throw new RepoConfigError(problem);
    try {
      raw = doc.toJS({ maxAliasCount: 50 }) ?? {};
    } catch (error) {
      throw new RepoConfigError(`${REPO_CONFIG_FILE}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const result = repoConfigSchema.safeParse(raw);
  const fail = (path: PropertyKey[], message: string): never => {
    const line = lineOf(doc, counter, path);
    const where = path.length ? path.join('.') : '(top level)';
    throw new RepoConfigError(`${REPO_CONFIG_FILE}${line ? ` line ${line}` : ''}: ${where}: ${message}`);
  };
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const path = unknown === undefined ? issue.path : [...issue.path, unknown];
    const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    fail(path, unknown === undefined ? (inner ?? issue.message) : 'is not a known setting');
  }
  const c = result.data!;
  const { memoryMb, cpus, services } = checkAgainstServer(c, limits, fail);
  return {
    dockerfile: c.dockerfile, context: c.context, port: c.port ?? limits.port, healthcheck: c.healthcheck, env: c.env, previews: c.previews, memoryMb, cpus,
    secrets: c.secrets, volumes: c.volumes, services, ...(c.release ? { release: c.release } : {}), ...(c.seed ? { seed: c.seed } : {}), strategy: c.strategy, replicas: c.replicas,
  };
}
