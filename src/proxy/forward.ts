import type http from 'node:http';
import type { UpstreamError } from './errors.js';
import type { ResponseHead } from './response-parser.js';
import type { ForwardPlan } from './routes/types.js';
import type { Upstream, UpstreamRequest } from './upstream.js';

/** Hop-by-hop and framing headers the proxy sets itself. */
const HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect',
]);
const HOP_RESPONSE = new Set([...HOP].filter((h) => h !== 'content-length'));

/** Header pairs worth passing on (X-Registry-Auth, Content-Type of a tar, ...), minus `drop`. */
export function forwardHeaders(raw: readonly string[], drop: ReadonlySet<string> = HOP): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!drop.has(raw[i]!.toLowerCase())) out.push([raw[i]!, raw[i + 1]!]);
  }
  return out;
}

function writeHead(req: http.IncomingMessage, res: http.ServerResponse, head: ResponseHead): void {
  const flat: string[] = [];
  for (const [name, value] of forwardHeaders(head.rawHeaders, HOP_RESPONSE)) flat.push(name, value);
  if (head.untilClose && req.method !== 'HEAD') {
    // dockerd's old-style hijack (200 + raw stream until close): answer the same way, unchunked.
    res.removeHeader('transfer-encoding');
    res.removeHeader('content-length');
    res.shouldKeepAlive = false;
    flat.push('Connection', 'close');
  }
  res.writeHead(head.status, head.statusMessage, flat);
  // Streams (events, logs?follow, build output, wait) must show their head before any data.
  if (head.contentLength === null) res.flushHeaders();
}

/**
 * Sends the checked request to dockerd and streams the answer back. Streaming bodies (build
 * contexts, archive uploads) and streaming answers (logs?follow, events, build output, wait) flow
 * both ways with backpressure, without buffering and without any idle timeout.
 */
export function forward(
  upstream: Upstream,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: string,
  { body: plan, observe }: Pick<ForwardPlan, 'body' | 'observe'>,
  onError: (error: UpstreamError) => void,
): void {
  let observing = observe !== undefined;
  const stopObserving = (): void => {
    if (observing) observe!.end();
    observing = false;
  };
  const headers = forwardHeaders(req.rawHeaders);
  let body: UpstreamRequest['body'] = null;
  if (plan.kind === 'json') {
    body = Buffer.from(JSON.stringify(plan.value), 'utf8');
    const keep = headers.filter(([n]) => !/^content-(type|encoding)$/i.test(n));
    headers.length = 0;
    headers.push(...keep, ['Content-Type', 'application/json']);
  } else if (plan.kind === 'stream') {
    const length = req.headers['content-length'];
    body = { stream: req, length: length === undefined ? null : Number(length) };
  } else {
    req.resume();
  }
  // A Content-Length answer's head waits for its first bytes: a small answer that arrives whole
  // (most of the API) leaves in one write with its head.
  let held: ResponseHead | null = null;
  let ended = false;
  const exchange = upstream.send(
    { method: req.method ?? 'GET', path: target, headers, body },
    {
      head: (head) => {
        if (head.contentLength !== null) held = head;
        else writeHead(req, res, head);
      },
      data: (chunk) => {
        // Seen before the client gets it: what the answer announces is known when the client acts on it.
        if (observing) observe!.data(chunk);
        if (held) {
          const head = held;
          held = null;
          writeHead(req, res, head);
          if (chunk.length === head.contentLength) {
            ended = true;
            res.end(chunk);
            return true;
          }
        }
        return res.write(chunk);
      },
      end: () => {
        stopObserving();
        if (held) writeHead(req, res, held);
        held = null;
        if (!ended) res.end();
      },
      error: (error) => {
        stopObserving();
        onError(error);
      },
    },
  );
  res.on('drain', () => exchange.resume());
  res.on('close', () => {
    stopObserving();
    if (!res.writableFinished) exchange.abort();
  });
}
