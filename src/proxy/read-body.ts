import type { IncomingMessage } from 'node:http';
import { PolicyError } from './errors.js';
import { parseStrictJson, type JsonValue } from './json-strict.js';

/** Reads a (possibly chunked) request body up to `maxBytes`; larger bodies are refused. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    return Promise.reject(new PolicyError('body-too-large', `request body of ${declared} bytes exceeds PROXY_MAX_BODY_BYTES (${maxBytes})`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.resume();
        reject(new PolicyError('body-too-large', `request body exceeds PROXY_MAX_BODY_BYTES (${maxBytes})`));
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.on('error', reject);
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Reads and strictly parses a JSON body; an empty body is null. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonValue> {
  const raw = await readBody(req, maxBytes);
  const text = raw.toString('utf8');
  if (text.trim() === '') return null;
  return parseStrictJson(text);
}
