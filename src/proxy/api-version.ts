import { UpstreamError } from './errors.js';
import type { Upstream } from './upstream.js';
import { getJson } from './upstream-json.js';

export interface ApiVersion {
  major: number;
  minor: number;
}

export const parseApiVersion = (s: string): ApiVersion | null => {
  const m = /^v?(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
};

export const atLeast = (v: ApiVersion, major: number, minor: number): boolean => v.major > major || (v.major === major && v.minor >= minor);

export const formatApiVersion = (v: ApiVersion): string => `${v.major}.${v.minor}`;

/**
 * The daemon's API version (GET /version, asked once per proxy process). dockerd decodes a request
 * with the schema of the version its path names, or its own without a prefix: fields of a newer
 * API are dropped without an error, so a policy that relies on one must know which applies.
 */
export class DaemonApiVersion {
  private pending?: Promise<ApiVersion>;

  constructor(private readonly upstream: Upstream) {}

  get(): Promise<ApiVersion> {
    this.pending ??= this.ask().catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }

  /** The version a request is decoded with: its prefix (dockerd refuses one above its own), else the daemon's. */
  async of(prefix: string | null): Promise<ApiVersion> {
    return (prefix !== null ? parseApiVersion(prefix) : null) ?? (await this.get());
  }

  private async ask(): Promise<ApiVersion> {
    const { status, body } = await getJson(this.upstream, '/version');
    const raw = typeof body === 'object' && body !== null ? (body as { ApiVersion?: unknown }).ApiVersion : undefined;
    const version = typeof raw === 'string' ? parseApiVersion(raw) : null;
    if (status !== 200 || version === null) throw new UpstreamError(`reading the daemon's API version failed (${status})`);
    return version;
  }
}
