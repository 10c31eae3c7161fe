import { PolicyError } from '../errors.js';
import { injectOwnerFilter } from '../label-filter.js';
import type { OwnerKind } from '../labels.js';
import { queryOne, type QueryPairs } from '../query.js';
import { newRefs, type PolicyContext } from '../body-policy/schema.js';
import type { Authorize, BodyPlan, ForwardPlan, RouteInput } from './types.js';

export const NONE: BodyPlan = { kind: 'none' };
export const STREAM: BodyPlan = { kind: 'stream' };

export const policyContext = (input: RouteInput): PolicyContext => ({
  workspaceDir: input.config.workspaceDir,
  capAddAllow: input.config.capAddAllow,
  owner: input.config.owner,
  refs: newRefs(),
});

export const planOf = (input: RouteInput, body: BodyPlan = NONE, overrides: Partial<ForwardPlan> = {}): ForwardPlan => ({
  segments: [...input.target.segments],
  query: input.target.query,
  body,
  ...overrides,
});

/** Authorizers whose plan depends on the request target alone (no body, no daemon lookup). */
const pureAuthorizers = new WeakSet<Authorize>();
const pure = (fn: Authorize): Authorize => {
  pureAuthorizers.add(fn);
  return fn;
};
/** A pure route's decision can be reused for the same method and URL. */
export const isPure = (fn: Authorize): boolean => pureAuthorizers.has(fn);

/** One authorizer for the traefik profile, another for the rest (config never changes): pure when both are. */
export const traefikOr = (traefik: Authorize, other: Authorize): Authorize => {
  const fn: Authorize = (input) => (input.config.profile === 'traefik' ? traefik : other)(input);
  return isPure(traefik) && isPure(other) ? pure(fn) : fn;
};

/** Forwarded as is: read-only endpoints of an enabled section. */
export const pass: Authorize = pure(async (input) => planOf(input));

/** Keeps only the listed query parameters (single-valued). */
export function pick(query: QueryPairs, names: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of names) {
    const v = queryOne(query, name);
    if (v !== undefined) out.push([name, v]);
  }
  return out;
}

/**
 * List, prune and events endpoints: only owned objects of `kind` (images carry their own token), by
 * forced label filters; only the listed parameters besides `filters` are forwarded.
 */
export const ownedFilter = (names: readonly string[], kind: OwnerKind = 'object'): Authorize =>
  pure(async (input) =>
    planOf(input, NONE, {
      query: [...pick(input.target.query, names), ['filters', injectOwnerFilter(queryOne(input.target.query, 'filters'), input.config.owner.filters(kind))]],
    }),
  );

/** Replaces path segment `index` (a name) by the checked object's immutable ID. */
export function withSegment(plan: ForwardPlan, index: number, value: string): ForwardPlan {
  const segments = [...plan.segments];
  segments[index] = value;
  return { ...plan, segments };
}

export const param = (input: RouteInput, i: number): string => {
  const value = input.params[i];
  if (value === undefined) throw new PolicyError('route', 'route parameter missing');
  return value;
};
