import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How urgent the GitHub writes of the code running now are: lower goes first. Evaluated each
 * time a write's turn comes, so a job that was superseded while its write waited drops back.
 */
export type WriteRank = () => Promise<number> | number;

/** Writes of the job that is the latest of its environment (and of anything without a rank). */
export const RANK_CURRENT = 1;
/** Writes of a superseded job: its "cancelled" conclusions can wait for the live one's news. */
export const RANK_SUPERSEDED = 2;

/** Carries the rank of the running job to the GitHub writes it makes (through async calls). */
export class WriteRanks {
  private readonly storage = new AsyncLocalStorage<WriteRank>();

  run<T>(rank: WriteRank, fn: () => Promise<T>): Promise<T> {
    return this.storage.run(rank, fn);
  }

  current(): WriteRank {
    return this.storage.getStore() ?? (() => RANK_CURRENT);
  }
}

interface Pending {
  rank: WriteRank;
  seq: number;
  run: () => void;
}

/**
 * One installation's GitHub writes, one at a time (Octokit's throttling plugin still spaces them
 * a second apart, as GitHub asks). At each turn the waiting write with the lowest rank goes
 * first, oldest first among equals: a burst of pushes no longer makes the newest commit's check
 * run and deployment wait behind every superseded commit's bookkeeping.
 */
export class WriteQueue {
  private readonly pending: Pending[] = [];
  private busy = false;
  private seq = 0;

  /**
   * @param graceMs after a write completes, how long the turn stays open for the job that made it
   *   to queue its follow-up (a check run update after the create, say): less than the second
   *   GitHub's pacing waits anyway, and without it every follow-up would lose its turn to a
   *   lower-ranked write that was already waiting.
   */
  constructor(private readonly onRankError: (error: unknown) => void = () => undefined, private readonly graceMs = 100) {}

  get waiting(): number {
    return this.pending.length;
  }

  schedule<T>(rank: WriteRank, write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        write().then(resolve, reject).finally(() => {
          setTimeout(() => {
            this.busy = false;
            void this.next();
          }, this.graceMs);
        });
      };
      this.pending.push({ rank, seq: this.seq++, run });
      void this.next();
    });
  }

  private async rankOf(item: Pending): Promise<number> {
    try {
      return await item.rank();
    } catch (error) {
      this.onRankError(error);
      return RANK_CURRENT;
    }
  }

  private async next(): Promise<void> {
    if (this.busy || this.pending.length === 0) return;
    this.busy = true;
    const candidates = [...this.pending];
    const ranks = await Promise.all(candidates.map((item) => this.rankOf(item)));
    let best = 0;
    for (let i = 1; i < candidates.length; i++) {
      if (ranks[i]! < ranks[best]! || (ranks[i] === ranks[best] && candidates[i]!.seq < candidates[best]!.seq)) best = i;
    }
    const chosen = candidates[best]!;
    this.pending.splice(this.pending.indexOf(chosen), 1);
    chosen.run();
  }
}
