import { PolicyError } from './errors.js';

/** Query parameters in order; Go keeps every value and FormValue returns the first. */
export type QueryPairs = ReadonlyArray<readonly [string, string]>;

function unescape(raw: string): string {
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) throw new PolicyError('query', 'malformed percent-encoding in query');
  const latin = raw.replace(/\+/g, ' ').replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(latin, 'latin1').toString('utf8');
}

/**
 * Parses a raw query string the way Go's net/url does, but refuses what Go would silently drop or
 * read differently (";" separators, bad escapes), so the proxy and dockerd always see the same pairs.
 */
export function parseQuery(raw: string): QueryPairs {
  const out: Array<readonly [string, string]> = [];
  if (raw.includes(';')) throw new PolicyError('query', 'semicolons are not allowed in the query');
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = unescape(eq === -1 ? pair : pair.slice(0, eq));
    out.push([key, eq === -1 ? '' : unescape(pair.slice(eq + 1))]);
  }
  return out;
}

export function formatQuery(pairs: QueryPairs): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

export const queryAll = (q: QueryPairs, key: string): string[] => q.filter(([k]) => k === key).map(([, v]) => v);

/** The single value of a parameter; two values are refused because Go and other readers disagree on which wins. */
export function queryOne(q: QueryPairs, key: string): string | undefined {
  const values = queryAll(q, key);
  if (values.length > 1) throw new PolicyError('query', `query parameter ${key} appears more than once`);
  return values[0];
}

/** Docker's boolValue: "", "0", "no", "false", "none" are false, anything else true. */
export const queryBool = (v: string | undefined): boolean =>
  v !== undefined && !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
