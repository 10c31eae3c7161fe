import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

export const randomSha = (): string => randomBytes(20).toString('hex');
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await sleep(intervalMs);
  }
}

/** Peak and current resident memory of a process, in MB (Linux /proc). */
export function processMemoryMb(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? NaN);
  return { peak: kb('VmHWM:') / 1024, current: kb('VmRSS:') / 1024 };
}

/** How many processes the host runs right now (/proc lists every PID namespace's tasks). */
export function hostProcessCount(): number {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).length;
}
