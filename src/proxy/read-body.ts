import type { IncomingMessage } from 'node:http';
import { BodyError, readRawBody } from '../http/read-body.js';
import { PolicyError } from './errors.js';
import { parseStrictJson, type JsonValue } from './json-strict.js';

/** Reads a (possibly chunked) request body up to `maxBytes`; larger bodies are refused. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  try {
    return await readRawBody(req, maxBytes);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    if (error.status !== 413) throw new PolicyError('unreadable-body', error.message, error.status);
    const declared = req.headers['content-length'];
    const size = declared !== undefined && Number(declared) > maxBytes ? ` of ${declared} bytes` : '';
    throw new PolicyError('body-too-large', `request body${size} exceeds PROXY_MAX_BODY_BYTES (${maxBytes})`);
  }
}

/** Reads and strictly parses a JSON body; an empty body is null. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonValue> {
  const raw = await readBody(req, maxBytes);
  const text = raw.toString('utf8');
  if (text.trim() === '') return null;
  return parseStrictJson(text);
}
