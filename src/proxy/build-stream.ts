import { STEP_ANNOUNCEMENT } from '../docker/step-announcement.js';

/** Longest JSON line kept while waiting for its newline; longer lines are skipped whole. */
export const MAX_BUILD_LINE_BYTES = 64 * 1024;

/**
 * Reads dockerd's /build answer (JSON messages, one per line, arriving in arbitrary chunks) and
 * reports every step container the builder announces. Memory stays bounded: at most one partial
 * line of MAX_BUILD_LINE_BYTES is held; an overlong line is dropped up to its newline. Garbage
 * (non-JSON, other message shapes) is ignored: this only observes, it never alters the stream.
 */
export class BuildStreamParser {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line that went over the cap: skip bytes until its newline. */
  private skipping = false;

  constructor(private readonly onStep: (id: string) => void, private readonly maxLineBytes = MAX_BUILD_LINE_BYTES) {}

  feed(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.append(chunk.subarray(start, nl));
      if (!this.skipping) this.line(Buffer.concat(this.pending, this.pendingBytes).toString('utf8'));
      this.reset();
      start = nl + 1;
    }
    this.append(chunk.subarray(start));
  }

  /** The stream ended: a last line without newline still counts. */
  end(): void {
    if (!this.skipping && this.pendingBytes > 0) this.line(Buffer.concat(this.pending, this.pendingBytes).toString('utf8'));
    this.reset();
  }

  private append(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    if (this.pendingBytes + part.length > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = true;
      return;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }

  private line(raw: string): void {
    const text = raw.trim();
    // Most lines are step output: skip the JSON parse unless an announcement could be in there.
    if (!text.startsWith('{') || !text.includes('Running in')) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const stream = (message as { stream?: unknown } | null)?.stream;
    if (typeof stream !== 'string') return;
    for (const line of stream.split('\n')) {
      const id = STEP_ANNOUNCEMENT.exec(line)?.[1];
      if (id) this.onStep(id);
    }
  }
}
