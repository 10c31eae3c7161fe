import { describe, expect, it } from 'vitest';
import { ResponseParser, type ResponseHead } from '../../src/proxy/response-parser.js';

function parse(raw: string, opts: { head?: boolean; split?: number; close?: boolean } = {}) {
  let head: ResponseHead | undefined;
  let body = '';
  let ended = false;
  const p = new ResponseParser(opts.head ?? false, { head: (h) => (head = h), body: (c) => (body += c.toString('latin1')), end: () => (ended = true) });
  const bytes = Buffer.from(raw, 'latin1');
  const step = opts.split ?? bytes.length;
  for (let i = 0; i < bytes.length; i += step) p.feed(bytes.subarray(i, i + step));
  if (opts.close) p.finish();
  return { head, body, ended, reusable: p.reusable };
}

describe('ResponseParser (dockerd answers)', () => {
  it('reads a Content-Length answer, byte by byte too', () => {
    for (const split of [undefined, 1, 3]) {
      const r = parse('HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK', { split });
      expect(r).toMatchObject({ body: 'OK', ended: true, reusable: true });
      expect(r.head).toMatchObject({ status: 200, statusMessage: 'OK', rawHeaders: ['Api-Version', '1.41', 'Content-Length', '2'], close: false });
    }
  });

  it('decodes chunked answers with extensions and trailers', () => {
    const raw = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n';
    for (const split of [undefined, 1, 4]) expect(parse(raw, { split })).toMatchObject({ body: 'hello, world', ended: true, reusable: true });
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', {}).ended).toBe(false);
  });

  it('reads a raw-stream hijack answer until the connection closes', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nabc', { close: true });
    expect(r).toMatchObject({ body: 'abc', ended: true, reusable: true });
    expect(r.head).toMatchObject({ untilClose: true, close: true });
  });

  it('has no body for HEAD, 204 and 304; marks Connection: close', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n', { head: true })).toMatchObject({ body: '', ended: true });
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ body: '', ended: true });
    expect(parse('HTTP/1.1 304 Not Modified\r\n\r\n').ended).toBe(true);
    expect(parse('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').head?.close).toBe(true);
  });

  it('throws on garbage and on a connection closed mid-answer', () => {
    expect(() => parse('SSH-2.0-OpenSSH\r\n\r\n')).toThrow();
    expect(() => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).toThrow();
    expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab', { close: true })).toThrow();
  });
});
