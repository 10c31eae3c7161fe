/** What a build log stream holds, and how its Redis entries map to typed values. */

export const LOG_SOURCES = ['build', 'run', 'worker'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

export const LOG_STATUSES = ['queued', 'building', 'deployed', 'failed', 'cancelled'] as const;
export type LogStatus = (typeof LOG_STATUSES)[number];

export interface LogMetaInput {
  repository: string;
  sha: string;
  environment: string;
  commitUrl?: string;
  /** Values to hide as *** in this log (installation token, secret env values). Kept in memory only. */
  secrets?: string[];
}

export interface LogMeta {
  repository: string;
  sha: string;
  environment: string;
  commitUrl?: string;
  status: LogStatus;
  url?: string;
  createdAt: number;
  ended: boolean;
  conclusion?: string;
  lines: number;
  bytes: number;
  truncated: boolean;
}

/** `id` is the Redis stream entry id ("<ms>-<seq>"), also used as the SSE event id. */
export type LogEntry =
  | { id: string; kind: 'line'; t: number; source: LogSource; text: string }
  | { id: string; kind: 'status'; t: number; status: LogStatus; url?: string }
  | { id: string; kind: 'end'; t: number; conclusion: string };

export type RawStreamEntry = [id: string, fields: string[]];

export const ENTRY_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;

/** Orders two stream entry ids numerically (ms part, then sequence). */
export function compareEntryIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

function fieldsOf(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]!] = raw[i + 1]!;
  return out;
}

export function parseEntry([id, raw]: RawStreamEntry): LogEntry | undefined {
  const f = fieldsOf(raw);
  const t = Number(f.t ?? 0);
  if (f.l !== undefined) {
    const source = (LOG_SOURCES as readonly string[]).includes(f.s ?? '') ? (f.s as LogSource) : 'build';
    return { id, kind: 'line', t, source, text: f.l };
  }
  if (f.k === 'status' && (LOG_STATUSES as readonly string[]).includes(f.st ?? '')) {
    return { id, kind: 'status', t, status: f.st as LogStatus, ...(f.u ? { url: f.u } : {}) };
  }
  if (f.k === 'end') return { id, kind: 'end', t, conclusion: f.c ?? '' };
  return undefined;
}

export function parseMeta(hash: Record<string, string>): LogMeta | null {
  if (!hash.status) return null;
  return {
    repository: hash.repository ?? '',
    sha: hash.sha ?? '',
    environment: hash.environment ?? '',
    ...(hash.commitUrl ? { commitUrl: hash.commitUrl } : {}),
    status: (LOG_STATUSES as readonly string[]).includes(hash.status) ? (hash.status as LogStatus) : 'queued',
    ...(hash.url ? { url: hash.url } : {}),
    createdAt: Number(hash.createdAt ?? 0),
    ended: hash.ended === '1',
    ...(hash.conclusion !== undefined ? { conclusion: hash.conclusion } : {}),
    lines: Number(hash.lines ?? 0),
    bytes: Number(hash.bytes ?? 0),
    truncated: hash.truncated === '1',
  };
}
