import { BuildStreamParser } from './build-stream.js';

/** What a build forwarded by this proxy lets the daemon's step containers be checked against. */
export interface BuildExpectation {
  /** HostConfig.Memory the builder gives every step container (the build's `memory`, 0 if unset). */
  memory: number;
}

/** A step container announced in the answer of a /build this proxy forwarded. */
export interface BuildStep {
  /** The ID as announced (dockerd prints 12 hex characters). */
  id: string;
  /** When the /build request was authorized (ms): the step container cannot be older. */
  since: number;
  expect: BuildExpectation;
}

/** Observes a forwarded answer as it streams through, without altering it. */
export interface ResponseObserver {
  data(chunk: Buffer): void;
  /** The answer ended, failed or the client went away; called once. */
  end(): void;
}

export interface BuildStepLimits {
  /** Steps remembered at once, all builds together. */
  maxSteps: number;
  /** Steps one build may have remembered at once (its output could also print announcements). */
  maxPerBuild: number;
  /** How long a step stays eligible after its announcement (ms); the worker asks right away. */
  ttlMs: number;
  /**
   * How long a step stays eligible once its build's answer ended (ms): a worker that cancels a
   * build may have its step's update already on the way. A step only ever gets tightened.
   */
  endGraceMs: number;
}

export const DEFAULT_BUILD_STEP_LIMITS: BuildStepLimits = { maxSteps: 4096, maxPerBuild: 256, ttlMs: 120_000, endGraceMs: 5_000 };

type Entry = BuildStep & { build: number; expires: number };

/**
 * The step containers of builds this proxy instance forwarded ("Running in <id>" in the /build
 * answer). Such a container does not carry the ownership label (the builder applies the build's
 * labels to the image only), yet the worker needs to tighten its limits while it runs. Entries are
 * forgotten `endGraceMs` after their build's answer ends, or after `ttlMs`; the set is capped.
 */
export class BuildSteps {
  private readonly steps = new Map<string, Entry>();
  private nextBuild = 1;

  constructor(
    private readonly limits: BuildStepLimits = DEFAULT_BUILD_STEP_LIMITS,
    private readonly now: () => number = Date.now,
    private readonly onDropped: (id: string, why: string) => void = () => undefined,
  ) {}

  get size(): number {
    return this.steps.size;
  }

  /** Starts recording one build's answer; feed the returned observer with it. */
  track(expect: BuildExpectation): ResponseObserver {
    const build = this.nextBuild++;
    const since = this.now();
    const parser = new BuildStreamParser((id) => this.record(build, { id, since, expect }));
    let ended = false;
    return {
      data: (chunk) => {
        if (!ended) parser.feed(chunk);
      },
      end: () => {
        if (ended) return;
        ended = true;
        const until = this.now() + this.limits.endGraceMs;
        for (const entry of this.steps.values()) if (entry.build === build) entry.expires = Math.min(entry.expires, until);
      },
    };
  }

  /** The recorded step whose announced ID is a prefix of `fullId`, if it is still eligible. */
  find(fullId: string): BuildStep | undefined {
    const entry = this.steps.get(fullId.slice(0, 12));
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.steps.delete(fullId.slice(0, 12));
      return undefined;
    }
    return fullId.startsWith(entry.id) ? { id: entry.id, since: entry.since, expect: entry.expect } : undefined;
  }

  private record(build: number, step: BuildStep): void {
    const key = step.id.slice(0, 12);
    const existing = this.steps.get(key);
    if (existing && existing.build !== build) return this.onDropped(step.id, 'announced by another build');
    this.expire();
    let own = 0;
    for (const entry of this.steps.values()) if (entry.build === build) own++;
    if (!existing && own >= this.limits.maxPerBuild) return this.onDropped(step.id, `build has ${own} steps recorded`);
    if (!existing && this.steps.size >= this.limits.maxSteps) return this.onDropped(step.id, `${this.steps.size} steps recorded`);
    this.steps.set(key, { ...step, build, expires: this.now() + this.limits.ttlMs });
  }

  private expire(): void {
    const now = this.now();
    for (const [key, entry] of this.steps) if (entry.expires <= now) this.steps.delete(key);
  }
}
