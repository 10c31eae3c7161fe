import type { DaemonApiVersion } from '../api-version.js';
import type { BuildSteps, ResponseObserver } from '../build-steps.js';
import type { FlagName, Profile, ProxyConfig } from '../config.js';
import type { JsonValue } from '../json-strict.js';
import type { Target } from '../normalize-path.js';
import type { Ownership } from '../ownership.js';
import type { QueryPairs } from '../query.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** What reaches dockerd as the request body. */
export type BodyPlan =
  | { kind: 'none' }
  /** Checked and re-serialized: dockerd decodes exactly what the policy saw. */
  | { kind: 'json'; value: JsonValue }
  /** Inert payload streamed as is (build context tar, archive upload, attach stdin). */
  | { kind: 'stream' };

export interface ForwardPlan {
  /** Path segments without the version prefix (IDs may have been substituted for names). */
  segments: string[];
  query: QueryPairs;
  body: BodyPlan;
  /** The rule logged for an allowed request when a narrower rule than the route's name allowed it. */
  rule?: string;
  /** Watches dockerd's answer as it is relayed (the build's step announcements). */
  observe?: ResponseObserver;
}

export interface RouteInput {
  method: Method;
  target: Target;
  /** Capture groups of the route pattern. */
  params: string[];
  /** True when the client asked for a connection upgrade (body bytes then travel raw). */
  upgrade: boolean;
  /** Reads the request body (size-capped) and parses it as strict JSON; null when empty. */
  readJson(): Promise<JsonValue>;
  ownership: Ownership;
  /** Step containers of builds this proxy instance forwarded. */
  buildSteps: BuildSteps;
  config: Readonly<ProxyConfig>;
  /** The Engine API version dockerd decodes this request with. */
  apiVersion: DaemonApiVersion;
}

export type Authorize = (input: RouteInput) => Promise<ForwardPlan>;

export interface Route {
  /** Stable name logged as the rule of allowed requests, e.g. "containers.start". */
  name: string;
  /** tecnativa flag that opens the route. */
  section: FlagName;
  methods: readonly Method[];
  /** Matched against the decoded, normalized path without the version prefix. */
  pattern: RegExp;
  authorize: Authorize;
  /** Flags that open this route even with the section flag or POST off (ALLOW_START, ...). */
  openedBy?: readonly FlagName[];
  /** The route may switch protocols (attach, exec start, session). */
  upgrade?: boolean;
  /**
   * The profiles the route exists in; absent: default and swarm. Swarm-only routes (services,
   * tasks, nodes) are refused in the default profile whatever its flags say, so a flag set for
   * tecnativa compatibility can never open them by accident.
   */
  profiles?: readonly Profile[];
}

export const ID = '([^/]+)';
export const NAME = '(.+)';
export const path = (source: string): RegExp => new RegExp(`^${source}$`);

/** Route profile sets: also read by Traefik; only with PROXY_PROFILE=swarm (and, read-only, Traefik's); default and swarm only. */
export const TRAEFIK: readonly Profile[] = ['default', 'swarm', 'traefik'];
export const SWARM_ONLY: readonly Profile[] = ['swarm'];
export const SWARM_AND_TRAEFIK: readonly Profile[] = ['swarm', 'traefik'];
export const DEFAULT_ONLY: readonly Profile[] = ['default'];
export const DEFAULT_PROFILES: readonly Profile[] = ['default', 'swarm'];
