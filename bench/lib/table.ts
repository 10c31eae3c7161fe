/** One row of the benchmark table printed by `npm run bench`. */
export interface BenchRow {
  /** Section, e.g. "Socket proxy". */
  group: string;
  /** What was measured, e.g. "GET /_ping — ours". */
  metric: string;
  /** Measured figure(s), already formatted, e.g. "p50 0.41 ms · p99 1.20 ms". */
  value: string;
  /** Target from the issue and whether it was met, e.g. "≤ HAProxy: met". */
  target?: string;
}

export function renderTable(rows: readonly BenchRow[]): string {
  const lines = ['| group | metric | measured | target |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    const cells = [row.group, row.metric, row.value, row.target ?? ''].map((c) => c.replace(/\|/g, '\\|'));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
