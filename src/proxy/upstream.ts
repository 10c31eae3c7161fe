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

/** What a pooled connection is doing now; its socket listeners hand everything to this. */
interface Attempt {
  data(chunk: Buffer): void;
  end(): void;
  fail(error: Error): void;
}

/** One unix-socket connection to dockerd, its listeners bound once for its whole life. */
class Connection {
  attempt: Attempt | null = null;
  reused = false;
  readonly socket: net.Socket;

  constructor(path: string, private readonly idleFailure: (c: Connection) => void) {
    this.socket = net.connect(path);
    this.socket.on('data', (chunk: Buffer) => (this.attempt ? this.attempt.data(chunk) : this.idleFailure(this)));
    this.socket.on('end', () => (this.attempt ? this.attempt.end() : this.idleFailure(this)));
    this.socket.on('error', (error) => (this.attempt ? this.attempt.fail(error) : this.idleFailure(this)));
    this.socket.on('close', () => (this.attempt ? this.attempt.fail(new Error('connection closed')) : this.idleFailure(this)));
  }
}

/**
 * The Docker daemon behind the proxy: HTTP/1.1 over a pool of kept-alive unix-socket connections,
 * written and parsed directly (node's http client costs more per request than the whole policy).
 * Only dockerd is ever on the other side.
 */
export class Upstream {
  private readonly idle: Connection[] = [];
  private readonly active = new Set<Connection>();
  private closed = false;

  constructor(readonly socketPath: string, private readonly maxIdle = 64) {}

  send(req: UpstreamRequest, on: UpstreamHandlers): Exchange {
    let conn: Connection | null = null;
    let retried = false;
    let settled = false;
    const streamed = req.body !== null && !Buffer.isBuffer(req.body);
    /** A request dockerd never answered on a reused connection is sent once more, unless `replay` is false. */
    const fail = (c: Connection, error: Error, responded: boolean, replay = true): void => {
      if (settled || c !== conn) return;
      this.drop(c);
      if (replay && !responded && c.reused && !streamed && !retried) {
        retried = true; // a kept-alive connection dockerd had already closed
        return start();
      }
      settled = true;
      on.error(new UpstreamError(`Docker daemon: ${error.message}`));
    };
    const start = (): void => {
      const c = this.acquire();
      conn = c;
      let responded = false;
      let keep = false;
      const parser = new ResponseParser(req.method === 'HEAD', {
        head: (head) => {
          responded = true;
          keep = !head.close;
          on.head(head);
        },
        body: (chunk) => {
          if (!on.data(chunk)) c.socket.pause();
        },
        end: () => {
          settled = true;
          // A streamed body leaves listeners on the socket: such connections are not reused.
          if (keep && !streamed && parser.reusable) this.release(c);
          else this.drop(c);
          on.end();
        },
      });
      c.attempt = {
        data: (chunk) => {
          try {
            parser.feed(chunk);
          } catch (error) {
            fail(c, error as Error, responded, false); // dockerd sent garbage: no replay
          }
        },
        end: () => {
          try {
            if (!settled && c === conn) parser.finish();
          } catch (error) {
            fail(c, error as Error, responded);
          }
        },
        fail: (error) => fail(c, error, responded),
      };
      this.write(c.socket, req);
    };
    start();
    return {
      resume: () => conn?.socket.resume(),
      abort: () => {
        settled = true;
        if (conn) this.drop(conn);
        if (req.body && !Buffer.isBuffer(req.body)) req.body.stream.unpipe();
      },
    };
  }

  private write(s: net.Socket, req: UpstreamRequest): void {
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
    });
    src.on('error', () => s.destroy());
    src.resume();
  }

  private acquire(): Connection {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (c.socket.destroyed || c.socket.readyState !== 'open') continue;
      c.socket.ref();
      c.reused = true;
      this.active.add(c);
      return c;
    }
    const c = new Connection(this.socketPath, (idle) => this.forget(idle));
    this.active.add(c);
    return c;
  }

  private release(c: Connection): void {
    this.active.delete(c);
    c.attempt = null;
    if (this.closed || this.idle.length >= this.maxIdle) return void c.socket.destroy();
    c.socket.resume(); // an answer that ended under backpressure left it paused
    c.socket.unref();
    this.idle.push(c);
  }

  /** An idle connection that dockerd closed or wrote to: never reused. */
  private forget(c: Connection): void {
    c.socket.destroy();
    const i = this.idle.indexOf(c);
    if (i !== -1) this.idle.splice(i, 1);
  }

  private drop(c: Connection): void {
    this.active.delete(c);
    c.attempt = null;
    c.socket.destroy();
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.idle, ...this.active]) c.socket.destroy();
    this.idle.length = 0;
    this.active.clear();
  }
}
