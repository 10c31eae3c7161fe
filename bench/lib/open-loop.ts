/**
 * Open-loop HTTP load: requests leave on a fixed schedule whether or not earlier ones were
 * answered, over a keep-alive agent. Latency is counted from each request's scheduled time, so a
 * stalled server cannot hide its queueing (no coordinated omission). Bodies are built and signed
 * up front (prepareDeliveries), so the generator's own work on the schedule is only the send.
 */
import http from 'node:http';
import type { Delivery } from './push-payload.js';

export interface PreparedDelivery {
  body: Buffer;
  headers: Record<string, string>;
}

/** Builds and signs `count` deliveries as Buffers, ready to send. */
export function prepareDeliveries(count: number, next: (i: number) => Delivery): PreparedDelivery[] {
  return Array.from({ length: count }, (_, i) => {
    const { body, headers } = next(i);
    return { body: Buffer.from(body), headers };
  });
}

export interface OpenLoopResult {
  /** Latency per answered request, ms from its scheduled send time to the end of the answer. */
  latencies: number[];
  /** Count per HTTP status (0 = connection error). */
  statuses: Map<number, number>;
  /** How late, in ms, the sender itself was against the schedule (p99), to tell generator lag from server lag. */
  senderLagP99: number;
}

/** Sends `deliveries` at `ratePerSecond`, one after the other, from the moment it is called. */
export async function openLoop(opts: { url: string; ratePerSecond: number; agent: http.Agent; deliveries: PreparedDelivery[] }): Promise<OpenLoopResult> {
  const target = new URL(opts.url);
  const prepared = opts.deliveries;
  const total = prepared.length;
  const intervalMs = 1000 / opts.ratePerSecond;
  const latencies: number[] = [];
  const lags: number[] = [];
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  const fire = (i: number, scheduled: number): Promise<void> =>
    new Promise((resolve) => {
      const { body, headers } = prepared[i]!;
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers, agent: opts.agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          latencies.push(performance.now() - scheduled);
          count(res.statusCode ?? 0);
          resolve();
        });
      });
      req.on('error', () => (count(0), resolve()));
      req.end(body);
    });
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Send everything that is due (several at once if this loop woke up late).
    while (i < total && start + i * intervalMs <= now) {
      const scheduled = start + i * intervalMs;
      lags.push(now - scheduled);
      inflight.push(fire(i, scheduled));
      i++;
    }
    const wait = start + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.max(0, wait - 0.5)));
    else await new Promise((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  lags.sort((a, b) => a - b);
  return { latencies, statuses, senderLagP99: lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))] ?? 0 };
}
