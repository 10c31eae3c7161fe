import type { IncomingMessage } from 'node:http';

/** A request body that cannot be read: `status` is the HTTP answer (413, 415, 400). */
export class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Buffers a request body of at most `limit` bytes, as it arrived (no decompression: any
 * Content-Encoding but identity is 415). A declared Content-Length over the limit is refused
 * before a byte is read, a stream that goes over it as soon as it does (413); a body shorter or
 * longer than its Content-Length, or cut off, is 400.
 */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    // Refused before a byte is read: whatever arrives is discarded, never buffered.
    const refuse = (error: BodyError) => {
      req.resume();
      reject(error);
    };
    if (encoding !== 'identity') return refuse(new BodyError(415, `unsupported content encoding "${encoding}"`));
    const header = req.headers['content-length'];
    const declared = header === undefined ? undefined : Number(header);
    if (declared !== undefined && declared > limit) return refuse(new BodyError(413, 'request entity too large'));
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error: BodyError | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (!error) return resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
      req.resume(); // whatever else arrives is discarded, never buffered
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return finish(new BodyError(413, 'request entity too large'));
      chunks.push(chunk);
    };
    const onEnd = () => finish(declared !== undefined && declared !== received ? new BodyError(400, 'request size did not match content length') : undefined);
    const onError = () => finish(new BodyError(400, 'request body could not be read'));
    const onAborted = () => finish(new BodyError(400, 'request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
