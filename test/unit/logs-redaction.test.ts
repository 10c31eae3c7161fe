import { describe, expect, it } from 'vitest';
import { prepareLines } from '../../src/logs/prepare-lines.js';
import { compileSecrets, redactLine, redactText } from '../../src/logs/redactor.js';

const token = (prefix: string): string => `${prefix}${'A1b2C3d4E5'.repeat(4)}`;

describe('redaction', () => {
  it.each(['ghs_', 'ghp_', 'gho_', 'ghu_', 'ghr_', 'github_pat_'])('hides %s tokens wherever they appear', (prefix) => {
    const t = token(prefix);
    expect(redactText(`token=${t} rest`)).toBe('token=*** rest');
    expect(redactText(`https://x-access-token:${t}@github.com/o/r.git`)).toBe('https://x-access-token:***@github.com/o/r.git');
    expect(redactText(`"${t}"`)).toBe('"***"');
  });

  it('leaves ordinary words alone', () => {
    expect(redactText('laughs_at_the_build and ghs_ and ghp_short')).toBe('laughs_at_the_build and ghs_ and ghp_short');
  });

  it('hides registered secrets, longest first, with regex characters taken literally', () => {
    const secrets = compileSecrets(['pa$$.word*', 'pa$$', 'abc']);
    expect(redactText('a pa$$.word* b pa$$ c paXXword', secrets)).toBe('a *** b *** c paXXword');
    expect(redactText('abc is too short to register', secrets)).toBe('abc is too short to register');
  });

  it('hides a secret split by colour codes', () => {
    const secrets = compileSecrets(['hunter22']);
    expect(redactLine('pw: hun\x1b[31mter22\x1b[0m', secrets)).toBe('pw: ***');
    expect(redactLine('\x1b[32mok\x1b[0m hunter22', secrets)).toBe('\x1b[32mok\x1b[0m ***');
  });

  it('redacts after stripping control characters that could hide a token', () => {
    const t = token('ghs_');
    const hidden = `${t.slice(0, 10)}\x08${t.slice(10)}`;
    const secrets = compileSecrets(['s3cr3t-value']);
    expect(prepareLines(`a ${hidden}\nb s3cr3t\x07-value\n`, secrets)).toEqual(['a ***', 'b ***']);
  });
});
