import { SourceError } from './build-context.js';

/** The escape character a Dockerfile's `# escape=` parser directive sets (backslash by default). */
function escapeToken(lines: readonly string[]): string {
  for (const line of lines) {
    const directive = /^\s*#\s*([a-zA-Z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    // Parser directives stand at the very top; the first line that is not one ends them.
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape') return directive[2]!.charAt(0) || '\\';
  }
  return '\\';
}

/**
 * `text` with `instruction` appended as its last line. Refused when the Dockerfile's last
 * instruction ends with a line continuation: the builder would read the appended line (blank and
 * comment lines do not stop a continuation) as part of that instruction.
 */
export function appendInstruction(path: string, text: string, instruction: string): string {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const escape = escapeToken(lines);
  const last = [...lines].reverse().find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (last !== undefined && last.replace(/[ \t]+$/, '').endsWith(escape)) {
    throw new SourceError(`${path}: its last instruction ends with a line continuation (${escape}); end the file with a complete instruction`);
  }
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${instruction}\n`;
}

const SAFE = /^[A-Za-z0-9._:/@+=,-]*$/;

/**
 * One `LABEL` instruction for all of `labels` (the /build API's `labels` parameter costs one builder
 * step per label). Keys and values are limited to characters no Dockerfile escape or `$`
 * substitution touches, whatever the file's escape directive.
 */
export function labelInstruction(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([key, value]) => {
    if (!SAFE.test(key) || !SAFE.test(value) || key === '') throw new Error(`label ${JSON.stringify(key)}=${JSON.stringify(value)} has characters a LABEL line would interpret`);
    return `"${key}"="${value}"`;
  });
  return `LABEL ${pairs.join(' ')}`;
}
