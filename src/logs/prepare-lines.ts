/** Turns raw output into stored lines: split, strip control sequences, redact, bound each line. */
import { redactLine } from './redactor.js';
import { splitLines, stripControlSequences } from './sanitize-line.js';

/** Longest stored line in UTF-16 code units; longer lines are cut (after redaction) and marked. */
export const MAX_LINE_CHARS = 16_384;
const CUT_MARK = ' …[line truncated]';

function bound(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  let cut = line.slice(0, MAX_LINE_CHARS);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // do not split a surrogate pair
  cut = cut.replace(/\x1b(\[[0-9;]*)?$/, ''); // nor an SGR sequence
  return `${cut}\x1b[0m${CUT_MARK}`;
}

export function prepareLines(text: string, secrets: RegExp | undefined): string[] {
  return splitLines(text).map((raw) => bound(redactLine(stripControlSequences(raw), secrets)));
}
