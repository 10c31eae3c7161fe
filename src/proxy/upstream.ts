import net from 'node:net';
import type { Readable } from 'node:stream';
import { UpstreamError } from './errors.js';
import { ResponseParser, type ResponseHead } from './response-parser.js';

export interface UpstreamRequest {
  method: string;
  /** Request target, already checked and encoded. */
  path: string;
  /** Headers to pass on, without Host and body framing. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** null: no body; Buffer: sent with Content-Length; stream: piped (chunked unless the length is known). */
  body: null | Buffer | { stream: Readable; length: number | null };
}

export interface UpstreamHandlers {
  head(head: ResponseHead): void;
  /** Return false to pause dockerd's answer until resume(). */
  data(chunk: Buffer): boolean;
  end(): void;
  error(error: UpstreamError): void;
}

export interface Exchange {
  resume(): void;
  abort(): void;
}

/**
 * The Docker daemon behind the proxy: HTTP/1.1 over a pool of kept-alive unix-socket connections,
 * written and parsed directly (node's http client costs more per request than the whole policy).
 * Only dockerd is ever on the other side.
 */
export class Upstream {
  private readonly idle: net.Socket[] = [];
  private readonly active = new Set<net.Socket>();
  private closed = false;

  constructor(readonly socketPath: string, private readonly maxIdle = 64) {}

  send(req: UpstreamRequest, on: UpstreamHandlers): Exchange {
    let socket: net.Socket | null = null;
    let retried = false;
    let settled = false;
    const replayable = req.body === null || Buffer.isBuffer(req.body);
    const fail = (s: net.Socket, error: Error, responded: boolean, reused: boolean): void => {
      if (settled || s !== socket) return;
      this.drop(s);
      if (!responded && reused && replayable && !retried) {
        retried = true; // a kept-alive connection dockerd had already closed
        return start();
      }
      settled = true;
      on.error(new UpstreamError(`Docker daemon: ${error.message}`));
    };
    const start = (): void => {
      const { s, reused } = this.acquire();
      socket = s;
      let responded = false;
      let bodySent = replayable;
      let keep = false;
      const parser = new ResponseParser(req.method === 'HEAD', {
        head: (head) => {
          responded = true;
          keep = !head.close;
          on.head(head);
        },
        body: (chunk) => {
          if (!on.data(chunk)) s.pause();
        },
        end: () => {
          settled = true;
          if (keep && bodySent && parser.reusable) this.release(s);
          else this.drop(s);
          on.end();
        },
      });
      s.on('data', (chunk: Buffer) => {
        try {
          parser.feed(chunk);
        } catch (error) {
          fail(s, error as Error, responded, false);
        }
      });
      s.on('end', () => {
        try {
          if (!settled && s === socket) parser.finish();
        } catch (error) {
          fail(s, error as Error, responded, reused);
        }
      });
      s.on('error', (error) => fail(s, error, responded, reused));
      s.on('close', () => fail(s, new Error('connection closed'), responded, reused));
      this.write(s, req, () => (bodySent = true));
    };
    start();
    return {
      resume: () => socket?.resume(),
      abort: () => {
        settled = true;
        if (socket) this.drop(socket);
        if (req.body && !Buffer.isBuffer(req.body)) req.body.stream.unpipe();
      },
    };
  }

  private write(s: net.Socket, req: UpstreamRequest, bodyDone: () => void): void {
    let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: docker\r\n`;
    for (const [name, value] of req.headers) head += `${name}: ${value}\r\n`;
    const body = req.body;
    if (body === null) {
      s.write(`${head}${req.method === 'GET' || req.method === 'HEAD' ? '' : 'Content-Length: 0\r\n'}\r\n`, 'latin1');
      return;
    }
    if (Buffer.isBuffer(body)) {
      s.write(Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]));
      return;
    }
    const chunked = body.length === null;
    s.write(`${head}${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`}\r\n\r\n`, 'latin1');
    const src = body.stream;
    const onData = (chunk: Buffer): void => {
      if (s.destroyed) return;
      let ok: boolean;
      if (chunked) {
        s.cork();
        s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        s.write(chunk);
        ok = s.write('\r\n', 'latin1');
        s.uncork();
      } else {
        ok = s.write(chunk);
      }
      if (!ok) src.pause();
    };
    src.on('data', onData);
    s.on('drain', () => src.resume());
    // dockerd answered and closed early: keep draining the client's body so its connection stays usable.
    s.once('close', () => src.resume());
    src.on('end', () => {
      if (chunked && !s.destroyed) s.write('0\r\n\r\n', 'latin1');
      bodyDone();
    });
    src.on('error', () => this.drop(s));
    src.resume();
  }

  private acquire(): { s: net.Socket; reused: boolean } {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) {
      if (s.destroyed || s.readyState !== 'open') continue;
      s.removeAllListeners();
      s.ref();
      this.active.add(s);
      return { s, reused: true };
    }
    const s = net.connect(this.socketPath);
    this.active.add(s);
    return { s, reused: false };
  }

  private release(s: net.Socket): void {
    this.active.delete(s);
    if (this.closed || this.idle.length >= this.maxIdle) return void s.destroy();
    s.removeAllListeners();
    const forget = (): void => {
      s.destroy();
      const i = this.idle.indexOf(s);
      if (i !== -1) this.idle.splice(i, 1);
    };
    s.on('error', forget).on('close', forget).on('data', forget).on('end', forget);
    s.unref();
    this.idle.push(s);
  }

  private drop(s: net.Socket): void {
    this.active.delete(s);
    s.destroy();
  }

  close(): void {
    this.closed = true;
    for (const s of [...this.idle, ...this.active]) s.destroy();
    this.idle.length = 0;
    this.active.clear();
  }
}
