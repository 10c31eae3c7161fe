/**
 * Terminal output → safe log lines: keeps ANSI SGR colour codes (ESC[...m) and tabs, removes every
 * other control sequence or character (cursor movement, OSC titles/hyperlinks, DCS, C0/C1 controls,
 * bidi overrides that could disguise text).
 */

/* eslint-disable no-control-regex */
const ESCAPE_SEQUENCE = new RegExp(
  [
    '\\x1b\\[[0-?]*[ -/]*[@-~]', // CSI (kept below when it is SGR)
    '\\x9b[0-?]*[ -/]*[@-~]', // 8-bit CSI
    '\\x1b[\\]PX^_][\\s\\S]*?(?:\\x07|\\x1b\\\\|\\x9c|$)', // OSC, DCS, SOS, PM, APC up to their terminator
    '[\\x90\\x98\\x9d-\\x9f][\\s\\S]*?(?:\\x07|\\x1b\\\\|\\x9c|$)', // their 8-bit forms
    '\\x1b[ -/]*[0-~]?', // other escapes (charset selection, ESC c, ...) or a lone ESC
  ].join('|'),
  'g',
);
const SGR = /^\x1b\[[0-9;:]*m$/;
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function stripControlSequences(line: string): string {
  let out = '';
  let last = 0;
  for (const match of line.matchAll(ESCAPE_SEQUENCE)) {
    out += line.slice(last, match.index).replace(CONTROL, '');
    if (SGR.test(match[0])) out += match[0].replace(/:/g, ';');
    last = match.index + match[0].length;
  }
  return out + line.slice(last).replace(CONTROL, '');
}

/** Removes SGR colour codes too (plain-text export, matching secrets hidden by colour codes). */
export const stripSgr = (line: string): string => line.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Splits a chunk of output into lines. `\r\n` and `\n` end a line; a bare `\r` (progress bars)
 * overwrites, so only the text after the last non-empty `\r` segment is kept, as a terminal shows it.
 * A trailing newline does not produce an empty final line.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r*\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => {
    if (!line.includes('\r')) return line;
    const parts = line.split('\r').filter((p) => p !== '');
    return parts[parts.length - 1] ?? '';
  });
}
