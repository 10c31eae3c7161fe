import { PolicyError } from './errors.js';
import { parseQuery, type QueryPairs } from './query.js';

/** Oldest Engine API accepted: before 1.24, POST /containers/{id}/start could carry a HostConfig. */
export const MIN_API_VERSION = { major: 1, minor: 24 } as const;

export interface Target {
  /** "v1.41" when the client used a version prefix, else null (daemon default). */
  version: string | null;
  /** Decoded, normalized path without the version prefix, e.g. "/containers/abc/start". */
  path: string;
  segments: string[];
  query: QueryPairs;
}

/**
 * Percent-decodes a path once (as Go's net/url does), refusing malformed escapes, NUL and control
 * characters.
 */
export function decodePath(raw: string): string {
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) throw new PolicyError('path', 'malformed percent-encoding in path');
  const bytes = Buffer.from(raw.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  const decoded = bytes.toString('utf8');
  if (/[\x00-\x1f\x7f\ufffd]/.test(decoded)) throw new PolicyError('path', 'control or invalid characters in path');
  return decoded;
}

/** Resolves ".", ".." and empty segments like path.Clean (never above the root). */
export function normalizeSegments(decoded: string): string[] {
  const out: string[] = [];
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

/** Parses a request target ("/v1.41/containers/json?all=1") into what the rules match on. */
export function parseTarget(rawUrl: string): Target {
  if (!rawUrl.startsWith('/')) throw new PolicyError('path', 'request target must be an absolute path');
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (rawPath.includes('#')) throw new PolicyError('path', 'fragment in request target');
  const segments = normalizeSegments(decodePath(rawPath));
  let version: string | null = null;
  const first = segments[0];
  if (first !== undefined && /^v[0-9.]+$/.test(first)) {
    const m = /^v(\d{1,3})\.(\d{1,3})$/.exec(first);
    if (!m) throw new PolicyError('api-version', `malformed API version ${first}`);
    const [major, minor] = [Number(m[1]), Number(m[2])];
    if (major < MIN_API_VERSION.major || (major === MIN_API_VERSION.major && minor < MIN_API_VERSION.minor)) {
      throw new PolicyError('api-version', `API version ${first.slice(1)} is refused; the proxy requires 1.24 or newer`);
    }
    version = first;
    segments.shift();
  }
  return { version, path: `/${segments.join('/')}`, segments, query: parseQuery(q === -1 ? '' : rawUrl.slice(q + 1)) };
}

const encodeSegment = (s: string): string =>
  s.replace(/[^A-Za-z0-9\-._~!$&'()*+,=:@]/g, (c) => encodeURIComponent(c));

/** Builds the upstream request target from a version, path segments and a query. */
export function formatTarget(version: string | null, segments: readonly string[], query: string): string {
  const path = `${version ? `/${version}` : ''}/${segments.map(encodeSegment).join('/')}`;
  return query ? `${path}?${query}` : path;
}
