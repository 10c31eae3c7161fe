import { UpstreamError } from './errors.js';
import type { Upstream } from './upstream.js';

const MAX_INSPECT_BYTES = 8 * 1024 * 1024;

/** GET a JSON document from dockerd (the inspect calls behind ownership checks). */
export function getJson(upstream: Upstream, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const exchange = upstream.send({ method: 'GET', path, headers: [], body: null }, {
      head: (h) => (status = h.status),
      data: (chunk) => {
        size += chunk.length;
        if (size > MAX_INSPECT_BYTES) {
          exchange.abort();
          reject(new UpstreamError(`inspect answer for ${path} too large`));
        } else chunks.push(chunk);
        return true;
      },
      end: () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status, body: text ? JSON.parse(text) : null });
        } catch {
          resolve({ status, body: { message: text.trim() } });
        }
      },
      error: reject,
    });
  });
}
