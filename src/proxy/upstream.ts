import http from 'node:http';
import { UpstreamError } from './errors.js';

const MAX_INSPECT_BYTES = 8 * 1024 * 1024;

/** The Docker daemon behind the proxy: one keep-alive agent on the unix socket. */
export class Upstream {
  readonly agent: http.Agent;

  constructor(readonly socketPath: string) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32 });
  }

  /** A request on the pooled agent (for ordinary request/response exchanges). */
  request(options: { method: string; path: string; headers: http.OutgoingHttpHeaders }): http.ClientRequest {
    return http.request({ ...options, socketPath: this.socketPath, agent: this.agent, setHost: false });
  }

  /** GET a JSON document (inspect endpoints used for ownership checks). */
  getJson(path: string): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = this.request({ method: 'GET', path, headers: { host: 'docker' } });
      req.on('error', (error) => reject(new UpstreamError(`Docker daemon unreachable: ${error.message}`)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_INSPECT_BYTES) req.destroy(new Error('inspect answer too large'));
          else chunks.push(chunk);
        });
        res.on('error', (error) => reject(new UpstreamError(`Docker daemon answer broken: ${error.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: { message: text.trim() } });
          }
        });
      });
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
