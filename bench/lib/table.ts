/** One row of the benchmark table printed by `npm run bench`. */
export interface BenchRow {
  /** Section, e.g. "Socket proxy". */
  group: string;
  /** What was measured, e.g. "GET /_ping, latency". */
  metric: string;
  /** Our figure(s), already formatted, e.g. "p50 0.41 ms · p99 1.20 ms". */
  ours: string;
  /** The same figure for the baseline it is compared with, naming it, e.g. "HAProxy: p50 0.38 ms". */
  baseline?: string;
  /** Ours relative to the baseline, e.g. "1.08×". */
  ratio?: string;
  /** Target from the issue, e.g. "p99 ≤ 15 ms". */
  target?: string;
  /** Whether the target was met; undefined when the row has no target. */
  met?: boolean;
}

const COLUMNS = ['group', 'metric', 'ours', 'baseline', 'ratio', 'target', 'met?'];

const metCell = (met: boolean | undefined): string => (met === undefined ? '' : met ? 'yes' : '**no**');

export function renderTable(rows: readonly BenchRow[]): string {
  const lines = [`| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => ' --- ').join('|')}|`];
  for (const row of rows) {
    const cells = [row.group, row.metric, row.ours, row.baseline ?? '', row.ratio ?? '', row.target ?? '', metCell(row.met)];
    lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** "1.23×" (ours / baseline), or "n/a" when either is not a finite positive number. */
export function ratio(ours: number, baseline: number, digits = 2): string {
  return Number.isFinite(ours) && Number.isFinite(baseline) && baseline > 0 ? `${(ours / baseline).toFixed(digits)}×` : 'n/a';
}

/** A row standing for a section that failed, so one broken benchmark does not hide the others. */
export function failedRow(group: string, error: unknown): BenchRow {
  const message = error instanceof Error ? error.message : String(error);
  return { group, metric: 'benchmark failed', ours: message.split('\n')[0]!.slice(0, 200), met: false };
}
