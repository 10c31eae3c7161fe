/** GitHub refuses check-run summaries over 65,535 characters; stay under it in bytes, with margin. */
export const SUMMARY_LIMIT_BYTES = 65_000;

export interface SummaryInput {
  title: string;
  rows: [string, string][];
  /** Extra markdown after the table (links, reasons). */
  notes?: string[];
  /** Build/run log lines; the tail is kept when it does not fit. */
  logTail?: string[];
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  let out = Buffer.from(text, 'utf8').subarray(0, max).toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD at the end: drop it.
  while (out.endsWith('\uFFFD') || bytes(out) > max) out = out.slice(0, -1);
  return out;
}

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** A fence longer than any backtick run in the text, so log content cannot close it. */
function fenceFor(lines: string[]): string {
  let longest = 0;
  for (const line of lines) for (const run of line.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/** Markdown summary for a check run, guaranteed under SUMMARY_LIMIT_BYTES with the fence closed. */
export function renderSummary(input: SummaryInput, limit = SUMMARY_LIMIT_BYTES): string {
  const head = [
    `### ${escapeCell(input.title)}`,
    '',
    '| | |',
    '| --- | --- |',
    ...input.rows.map(([k, v]) => `| ${escapeCell(k)} | ${escapeCell(v)} |`),
    '',
    ...(input.notes ?? []),
  ].join('\n');
  const tail = input.logTail ?? [];
  if (tail.length === 0) return truncateUtf8(head, limit);
  const fence = fenceFor(tail);
  const open = `\n\n<details open><summary>Log tail</summary>\n\n${fence}text\n`;
  const close = `\n${fence}\n</details>\n`;
  const budget = limit - bytes(head) - bytes(open) - bytes(close) - 80;
  if (budget <= 0) return truncateUtf8(head, limit);
  const kept: string[] = [];
  let used = 0;
  for (let i = tail.length - 1; i >= 0; i--) {
    const line = truncateUtf8(tail[i]!, 2000);
    if (used + bytes(line) + 1 > budget) break;
    kept.unshift(line);
    used += bytes(line) + 1;
  }
  const omitted = tail.length - kept.length;
  const note = omitted > 0 ? `… ${omitted} earlier line(s) omitted …\n` : '';
  return `${head}${open}${note}${kept.join('\n')}${close}`;
}
