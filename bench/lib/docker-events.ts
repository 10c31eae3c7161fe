import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

/** One entry of dockerd's /events stream, with dockerd's own timestamp in epoch milliseconds. */
export interface DockerEvent {
  type: string;
  action: string;
  id: string;
  attributes: Record<string, string>;
  /** dockerd's clock (timeNano), in ms since the epoch: the same host clock as Date.now(). */
  time: number;
}

/**
 * Subscribes to dockerd's /events stream (containers and images only) and keeps every event, so
 * a benchmark can tell which intervals Docker itself spent building, creating and starting.
 */
export class DockerEvents {
  readonly events: DockerEvent[] = [];
  private stream?: Readable;

  async start(docker: Docker): Promise<void> {
    const since = Math.floor(Date.now() / 1000) - 1;
    this.stream = (await docker.getEvents({ since, filters: { type: ['container', 'image'] } } as Docker.GetEventsOptions)) as Readable;
    let buffer = '';
    this.stream.setEncoding('utf8');
    this.stream.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        try {
          const raw = JSON.parse(line) as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number; time?: number };
          this.events.push({
            type: raw.Type ?? '',
            action: raw.Action ?? '',
            id: raw.Actor?.ID ?? '',
            attributes: raw.Actor?.Attributes ?? {},
            time: raw.timeNano !== undefined ? raw.timeNano / 1e6 : (raw.time ?? 0) * 1000,
          });
        } catch {
          // a malformed line: ignore it
        }
      }
    });
    this.stream.on('error', () => undefined);
  }

  first(match: (e: DockerEvent) => boolean): DockerEvent | undefined {
    return this.events.find(match);
  }

  all(match: (e: DockerEvent) => boolean): DockerEvent[] {
    return this.events.filter(match);
  }

  /** Waits (polling every 50 ms, at most `timeoutMs`) for the first event matching. */
  async waitFor(what: string, match: (e: DockerEvent) => boolean, timeoutMs: number): Promise<DockerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.first(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no Docker event "${what}" within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(): void {
    this.stream?.destroy();
  }
}
