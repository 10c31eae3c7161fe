import type { ResponseObserver } from './build-steps.js';

/** A container's full ID as dockerd writes it: 64 lowercase hex characters, never reused. */
const FULL_ID = /^[0-9a-f]{64}$/;
/** A create answer is `{"Id":"<64 hex>","Warnings":[...]}`; anything longer is not one. */
const MAX_CREATE_ANSWER = 64 * 1024;

/**
 * Full IDs of containers known to carry the ownership label. A container's labels cannot change
 * after it is created (no API updates them) and an ID is never given to another container, so
 * "this ID is ours" stays true for good: a request naming a remembered ID needs no inspect round
 * trip. Names and short IDs are never looked up here (they can come to mean another container).
 * A removed container stays remembered harmlessly: dockerd answers its own 404. Bounded: the
 * oldest entry goes first.
 */
export class OwnedIds {
  private readonly ids = new Set<string>();

  constructor(private readonly max = 4096) {}

  has(ref: string): boolean {
    return this.ids.has(ref);
  }

  /** Remembers an ID seen owned (an inspect that passed the owner-token check, or a create this proxy labelled). */
  add(id: string): void {
    if (!FULL_ID.test(id) || this.ids.has(id)) return;
    if (this.ids.size >= this.max) this.ids.delete(this.ids.values().next().value as string);
    this.ids.add(id);
  }

  /**
   * Watches the answer to a container create this proxy forwarded (the body got the ownership label
   * forced on it): the ID it announces is ours. An error answer carries no ID and teaches nothing.
   */
  createObserver(): ResponseObserver {
    const chunks: Buffer[] = [];
    let size = 0;
    return {
      data: (chunk) => {
        size += chunk.length;
        if (size <= MAX_CREATE_ANSWER) chunks.push(chunk);
      },
      end: () => {
        if (size > MAX_CREATE_ANSWER) return;
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Id?: unknown } | null;
          if (typeof answer?.Id === 'string') this.add(answer.Id);
        } catch {
          // not a create answer (a cut-off or error body): nothing learned, the next use inspects
        }
      },
    };
  }
}
