import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, prepareLines } from '../../src/logs/prepare-lines.js';
import { splitLines, stripControlSequences, stripSgr } from '../../src/logs/sanitize-line.js';

const ESC = '\x1b';

describe('stripControlSequences', () => {
  it('keeps SGR colour codes and tabs', () => {
    const line = `${ESC}[1;31merror${ESC}[0m\tdone ${ESC}[m ${ESC}[38;5;208mx${ESC}[38:2:1:2:3my`;
    expect(stripControlSequences(line)).toBe(`${ESC}[1;31merror${ESC}[0m\tdone ${ESC}[m ${ESC}[38;5;208mx${ESC}[38;2;1;2;3my`);
  });

  it.each([
    ['cursor movement and erase', `a${ESC}[2Kb${ESC}[1A${ESC}[10;20Hc`, 'abc'],
    ['window title (OSC, BEL)', `${ESC}]0;pwned${'\x07'}text`, 'text'],
    ['hyperlink (OSC 8, ST)', `${ESC}]8;;https://evil${ESC}\\link${ESC}]8;;${ESC}\\`, 'link'],
    ['DCS', `${ESC}Pq#0;2;0;0;0${ESC}\\after`, 'after'],
    ['charset and reset escapes', `${ESC}(Ba${ESC}cb${ESC}=c`, 'abc'],
    ['C0 and C1 controls', 'a\x00b\x07c\x08d\x7fe\x85f\x9b31mg', 'abcdefg'],
    ['an unfinished sequence at the end', `text${ESC}[12`, 'text12'],
    ['a lone ESC', `a${ESC}`, 'a'],
    ['bidi overrides', 'safe\u202Eexe.txt\u2066x\u2069', 'safeexe.txtx'],
  ])('removes %s', (_name, input, expected) => {
    expect(stripControlSequences(input)).toBe(expected);
  });

  it('stripSgr removes colour codes for plain text', () => {
    expect(stripSgr(`${ESC}[32mok${ESC}[0m`)).toBe('ok');
  });
});

describe('splitLines', () => {
  it('splits on LF and CRLF without a trailing empty line', () => {
    expect(splitLines('a\nb\r\nc\n')).toEqual(['a', 'b', 'c']);
    expect(splitLines('one')).toEqual(['one']);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('\n\n')).toEqual(['', '']);
  });

  it('keeps what a terminal shows after carriage returns', () => {
    expect(splitLines('progress 10%\rprogress 50%\rprogress 100%\r\ndone')).toEqual(['progress 100%', 'done']);
  });
});

describe('prepareLines', () => {
  it('bounds very long lines after redaction and never leaves half a colour code', () => {
    const long = `${'x'.repeat(MAX_LINE_CHARS - 2)}${ESC}[31mred`;
    const [line] = prepareLines(long, undefined);
    expect(line!.length).toBeLessThan(MAX_LINE_CHARS + 40);
    expect(line).toMatch(/x\x1b\[0m …\[line truncated\]$/);
  });
});
