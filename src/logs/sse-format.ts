/** Server-sent event framing for build log entries. */
import type { LogEntry, LogMeta } from './log-entry.js';

type LineEntry = Extract<LogEntry, { kind: 'line' }>;

/** One `lines` event for consecutive lines: data is [[entryId, time, source, text], ...]; id is the last entry id. */
export function linesEvent(lines: readonly LineEntry[]): string {
  const data = lines.map((l) => [l.id, l.t, l.source, l.text]);
  return `id: ${lines[lines.length - 1]!.id}\nevent: lines\ndata: ${JSON.stringify(data)}\n\n`;
}

export function statusEvent(id: string, status: string, url: string | undefined): string {
  return `id: ${id}\nevent: status\ndata: ${JSON.stringify({ status, url: url ?? null })}\n\n`;
}

export function endEvent(id: string, conclusion: string, meta: LogMeta | null): string {
  const data = { conclusion, status: meta?.status ?? null, url: meta?.url ?? null };
  return `id: ${id}\nevent: end\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Frames a batch of entries; stops at (and reports) an end marker. */
export function frameEntries(entries: readonly LogEntry[]): { chunk: string; end?: Extract<LogEntry, { kind: 'end' }> } {
  let chunk = '';
  let run: LineEntry[] = [];
  const flush = (): void => {
    if (run.length > 0) chunk += linesEvent(run);
    run = [];
  };
  for (const entry of entries) {
    if (entry.kind === 'line') {
      run.push(entry);
    } else if (entry.kind === 'status') {
      flush();
      chunk += statusEvent(entry.id, entry.status, entry.url);
    } else {
      flush();
      return { chunk, end: entry };
    }
  }
  flush();
  return { chunk };
}
