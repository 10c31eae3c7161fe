/**
 * One SSE client: replays the log from Last-Event-ID, then follows the shared live tail until the
 * end marker, with heartbeats. Every exit path unsubscribes and clears its timer.
 */
import type { Request, Response } from 'express';
import type { Logger } from '../logger.js';
import type { BuildLogStore } from './build-log-store.js';
import { compareEntryIds, ENTRY_ID_PATTERN, type LogEntry } from './log-entry.js';
import { endEvent, frameEntries } from './sse-format.js';
import { waitForDrain } from './wait-drain.js';

export interface SseSessionOptions {
  store: BuildLogStore;
  id: string;
  logger: Logger;
  heartbeatMs: number;
  /** Extra response headers (CORS from getSafeOrigin). */
  headers: Record<string, string>;
  replayBatch?: number;
  /** A client this far behind is disconnected; it resumes with Last-Event-ID. */
  maxBufferedBytes?: number;
}

export function resumePoint(req: Request): string {
  const header = req.headers['last-event-id'];
  const query = req.query.lastEventId;
  const value = typeof header === 'string' ? header : typeof query === 'string' ? query : '';
  return ENTRY_ID_PATTERN.test(value.trim()) ? value.trim() : '0-0';
}

export async function runSseSession(req: Request, res: Response, opts: SseSessionOptions): Promise<void> {
  const { store, id } = opts;
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  let position = resumePoint(req);
  let state: 'replay' | 'live' | 'ending' | 'closed' = 'replay';
  let pending: LogEntry[] = [];
  let unsubscribe: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const close = (): void => {
    if (state === 'closed') return;
    state = 'closed';
    clearInterval(heartbeat);
    unsubscribe?.();
    if (!res.writableEnded) res.end();
  };
  res.once('close', close);

  res.writeHead(200, {
    ...opts.headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs);

  /** Writes entries after `position`; returns false when the socket buffer is full. */
  const deliver = (entries: readonly LogEntry[]): boolean => {
    if (state === 'closed' || state === 'ending') return true;
    const fresh = entries.filter((e) => compareEntryIds(e.id, position) > 0);
    if (fresh.length === 0) return true;
    const { chunk, end } = frameEntries(fresh);
    position = (end ?? fresh[fresh.length - 1]!).id;
    const ok = chunk === '' || res.write(chunk);
    if (end) {
      state = 'ending';
      store.getMeta(id).then(
        (meta) => res.write(endEvent(end.id, end.conclusion, meta)),
        () => res.write(endEvent(end.id, end.conclusion, null)),
      ).finally(close);
    } else if (res.writableLength > maxBuffered) {
      opts.logger.info({ logId: id }, 'slow log viewer disconnected; it will resume');
      close();
    }
    return ok;
  };

  try {
    const stop = await store.subscribe(id, (entries) => {
      if (state === 'replay') pending.push(...entries);
      else deliver(entries);
    });
    if ((state as string) === 'closed') return stop();
    unsubscribe = stop;
    for (;;) {
      const batch = await store.readEntries(id, position, opts.replayBatch ?? 2000);
      if (state !== 'replay' || batch.length === 0) break;
      const drained = deliver(batch);
      if ((state as string) !== 'replay') break;
      if (!drained) await waitForDrain(res);
    }
    if (state !== 'replay') return;
    state = 'live';
    const buffered = pending;
    pending = [];
    deliver(buffered);
  } catch (error) {
    opts.logger.error({ logId: id, err: (error as Error).message }, 'log stream failed');
    close();
  }
}
