import { readFileSync, writeFileSync } from 'node:fs';

/** One `KEY=value` line as a dotenv file holds it: a multi-line value (a PEM) with `\n` escapes, quoted. */
const line = (key: string, value: string): string => `${key}=${/[\s#"'\\]/.test(value) ? JSON.stringify(value) : value}`;

/**
 * Sets `values` in the dotenv file at `path`, keeping every other line: an existing `KEY=` line
 * is replaced in place, new keys are appended. Throws when the file cannot be written.
 */
export function updateEnvFile(path: string, values: Record<string, string>): void {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const pending = new Map(Object.entries(values));
  const lines = text.split('\n').map((l) => {
    const key = /^\s*([A-Z_][A-Z0-9_]*)\s*=/.exec(l)?.[1];
    if (key === undefined || !pending.has(key)) return l;
    const out = line(key, pending.get(key)!);
    pending.delete(key);
    return out;
  });
  while (lines.length && lines.at(-1) === '') lines.pop();
  for (const [key, value] of pending) lines.push(line(key, value));
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}
