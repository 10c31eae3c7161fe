/** A minimal SSE client over node:http for tests and the bench: parses events and comment lines. */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  onEvent: ((event: SseEvent) => void) | undefined;
  private buffer = '';
  private waiters: (() => void)[] = [];
  ended = false;

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly destroy: () => void,
  ) {}

  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
        const client = new SseClient(res.statusCode ?? 0, res.headers, () => req.destroy());
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.feed(chunk));
        res.on('close', () => {
          client.ended = true;
          client.notify();
        });
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.destroy();
  }

  /** Resolves once `check` holds (checked after every event); rejects after `timeoutMs`. */
  waitFor(check: (client: SseClient) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const waiter = (): void => {
        if (check(this)) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        } else if (this.ended) {
          clearTimeout(timer);
          reject(new Error(`stream closed before ${what}`));
        }
      };
      this.waiters.push(waiter);
    });
  }

  /** Lines received so far as [entryId, time, source, text]. */
  lines(): [string, number, string, string][] {
    return this.events.filter((e) => e.event === 'lines').flatMap((e) => JSON.parse(e.data) as [string, number, string, string][]);
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let index: number;
    while ((index = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      const event: SseEvent = { event: 'message', id: undefined, data: '' };
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
        else if (field === 'data') event.data += (event.data ? '\n' : '') + value;
        else continue;
        isEvent = true;
      }
      if (isEvent && (event.data !== '' || event.event !== 'message')) {
        this.events.push(event);
        this.onEvent?.(event);
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
