/** Status line and headers of a dockerd answer, with its body framing. */
export interface ResponseHead {
  status: number;
  statusMessage: string;
  /** [name, value, name, value, ...] as received. */
  rawHeaders: string[];
  contentLength: number | null;
  chunked: boolean;
  /** dockerd will close the connection after this answer. */
  close: boolean;
  /** The body runs until the connection closes (dockerd's raw-stream hijack answers). */
  untilClose: boolean;
}

export interface ParserEvents {
  head(head: ResponseHead): void;
  body(chunk: Buffer): void;
  end(): void;
}

type State = 'head' | 'length' | 'size' | 'data' | 'data-crlf' | 'trailers' | 'until-close' | 'done';
const EMPTY = Buffer.alloc(0);
const MAX_HEAD = 64 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;

/**
 * Incremental HTTP/1.1 response parser for the upstream connection (dockerd on the unix socket):
 * head, then a Content-Length, chunked or read-until-close body. Throws on malformed input.
 */
export class ResponseParser {
  private state: State = 'head';
  private buf: Buffer = EMPTY;
  private remaining = 0;

  constructor(private readonly headRequest: boolean, private readonly on: ParserEvents) {}

  /** The answer is complete and nothing unexpected followed it: the connection can be reused. */
  get reusable(): boolean {
    return this.state === 'done' && this.buf.length === 0;
  }

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length > 0 && this.state !== 'done') {
      if (!this.step()) return;
    }
  }

  /** The connection closed: only a read-until-close body may end this way. */
  finish(): void {
    if (this.state === 'until-close') {
      this.state = 'done';
      this.on.end();
    } else if (this.state !== 'done') {
      throw new Error('dockerd closed the connection mid-answer');
    }
  }

  /** Consumes what it can; false when more bytes are needed. */
  private step(): boolean {
    switch (this.state) {
      case 'head':
        return this.readHead();
      case 'length':
      case 'data': {
        const n = Math.min(this.remaining, this.buf.length);
        this.emit(n);
        this.remaining -= n;
        if (this.remaining > 0) return true;
        if (this.state === 'length') this.finishBody();
        else this.state = 'data-crlf';
        return true;
      }
      case 'until-close':
        this.emit(this.buf.length);
        return true;
      case 'data-crlf':
        if (this.buf.length < 2) return false;
        if (this.buf[0] !== 0x0d || this.buf[1] !== 0x0a) throw new Error('bad chunk terminator');
        this.buf = this.buf.subarray(2);
        this.state = 'size';
        return true;
      case 'size': {
        const line = this.line();
        if (line === null) return false;
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new Error('bad chunk size');
        this.state = size === 0 ? 'trailers' : 'data';
        this.remaining = size;
        return true;
      }
      case 'trailers': {
        const line = this.line();
        if (line === null) return false;
        if (line === '') this.finishBody();
        return true;
      }
      default:
        return false;
    }
  }

  private emit(n: number): void {
    const part = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    if (part.length > 0) this.on.body(part);
  }

  private line(): string | null {
    const i = this.buf.indexOf('\r\n');
    if (i === -1) {
      if (this.buf.length > 4096) throw new Error('line too long');
      return null;
    }
    const text = this.buf.subarray(0, i).toString('latin1');
    this.buf = this.buf.subarray(i + 2);
    return text;
  }

  private finishBody(): void {
    this.state = 'done';
    this.on.end();
  }

  private readHead(): boolean {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.buf.length > MAX_HEAD) throw new Error('answer head too large');
      return false;
    }
    const text = this.buf.toString('latin1', 0, end);
    this.buf = this.buf.subarray(end + 4);
    let eol = text.indexOf('\r\n');
    if (eol === -1) eol = text.length;
    const m = STATUS_LINE.exec(text.slice(0, eol));
    if (!m) throw new Error('bad status line');
    const rawHeaders: string[] = [];
    let contentLength: number | null = null;
    let chunked = false;
    let connection = '';
    // One pass over the header block (this runs for every answer the proxy relays).
    for (let start = eol + 2; start < text.length; start = eol + 2) {
      eol = text.indexOf('\r\n', start);
      if (eol === -1) eol = text.length;
      const colon = text.indexOf(':', start);
      if (colon <= start || colon >= eol) throw new Error('bad header line');
      const name = text.slice(start, colon).trim();
      const value = text.slice(colon + 1, eol).trim();
      rawHeaders.push(name, value);
      // Only three names matter for framing; compare lengths before lowercasing.
      if (name.length === 14 && name.toLowerCase() === 'content-length') contentLength = Number(value);
      else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
      else if (name.length === 10 && name.toLowerCase() === 'connection') connection = value.toLowerCase();
    }
    const status = Number(m[2]);
    const noBody = this.headRequest || status === 204 || status === 304 || (status >= 100 && status < 200);
    const untilClose = !noBody && !chunked && contentLength === null;
    const close = untilClose || connection.includes('close') || (m[1] === '0' && !connection.includes('keep-alive'));
    this.on.head({ status, statusMessage: m[3] ?? '', rawHeaders, contentLength, chunked, close, untilClose });
    if (noBody) this.finishBody();
    else if (chunked) this.state = 'size';
    else if (contentLength !== null) {
      this.remaining = contentLength;
      this.state = 'length';
      if (contentLength === 0) this.finishBody();
    } else this.state = 'until-close';
    return true;
  }
}
