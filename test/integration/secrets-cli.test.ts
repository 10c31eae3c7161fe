import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Keyring } from '../../src/secrets/keyring.js';
import { openSealed } from '../../src/secrets/sealing.js';
import { runCli } from '../helpers/processes.js';

const generate = async () => {
  const run = await runCli(['keys', 'generate'], {});
  expect(run.code, run.stderr).toBe(0);
  const privateKey = /^SEAL_PRIVATE_KEY=(\S+)$/m.exec(run.stdout)![1]!;
  const publicKey = /public key (\S+) \(id ([0-9a-f]{16})\)/.exec(run.stderr)!;
  return { privateKey, publicKey: publicKey[1]!, id: publicKey[2]! };
};

describe('helvetia keys / seal (CLI processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvseal-'));

  it('seals offline to a public key file, the value read from stdin only', async () => {
    const key = await generate();
    writeFileSync(join(dir, 'key.pub'), `${key.publicKey}\n`);
    const run = await runCli(['seal', '--key', join(dir, 'key.pub'), '--repo-id', '5', '--scope', 'previews', 'API_TOKEN'], {}, 'tok-123\n');
    expect(run.code, run.stderr).toBe(0);
    const sealed = /^API_TOKEN: (sealed:v1:\S+)$/.exec(run.stdout.trim())![1]!;
    expect(sealed.split(':')[2]).toBe(key.id);
    const keyring = (await Keyring.load({ current: key.privateKey, previous: [] }))!;
    expect(await openSealed(sealed, { repositoryId: 5, scope: 'previews', name: 'API_TOKEN' }, keyring.byId)).toBe('tok-123');
  });

  it('refuses a value on the command line, an empty stdin and a bad scope', async () => {
    const key = await generate();
    writeFileSync(join(dir, 'k2.pub'), key.publicKey);
    const args = ['seal', '--key', join(dir, 'k2.pub'), '--repo-id', '5', '--scope', 'production'];
    const onArgv = await runCli([...args, 'NAME', 'the-value'], {}, 'x');
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toContain('give exactly one secret NAME');
    expect(onArgv.stdout).toBe('');
    const empty = await runCli([...args, 'NAME'], {}, '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no value on stdin');
    expect((await runCli(['seal', '--key', join(dir, 'k2.pub'), '--repo-id', '5', '--scope', 'staging', 'NAME'], {}, 'x')).code).toBe(2);
  });

  it('--reseal moves every value to the current key after a rotation, keeping comments and layout', async () => {
    const old = await generate();
    writeFileSync(join(dir, 'old.pub'), old.publicKey);
    const sealWith = async (scope: string, name: string, value: string) =>
      (await runCli(['seal', '--key', join(dir, 'old.pub'), '--repo-id', '9', '--scope', scope, name], {}, value)).stdout.trim();
    const file = join(dir, '.helvetia.yml');
    writeFileSync(file, ['# my app', 'port: 3000', 'secrets:', '  production:', `    ${await sealWith('production', 'A', 'alpha')} # first`, '  previews:', `    ${await sealWith('previews', 'B', 'beta')}`, ''].join('\n'));
    const fresh = await generate();
    const run = await runCli(['seal', '--reseal', file, '--repo-id', '9'], { SEAL_PRIVATE_KEY: fresh.privateKey, SEAL_PREVIOUS_KEYS: old.privateKey });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`resealed 2 value(s) in ${file} to key ${fresh.id}; 0 already used it`);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# my app\nport: 3000\nsecrets:\n {2}production:\n {4}A: sealed:v1:[0-9a-f]{16}:\S+ # first\n {2}previews:\n {4}B: sealed:v1:\S+\n$/);
    const onlyNew = (await Keyring.load({ current: fresh.privateKey, previous: [] }))!;
    const a = /A: (\S+)/.exec(text)![1]!;
    const b = /B: (\S+)/.exec(text)![1]!;
    expect(await openSealed(a, { repositoryId: 9, scope: 'production', name: 'A' }, onlyNew.byId)).toBe('alpha');
    expect(await openSealed(b, { repositoryId: 9, scope: 'previews', name: 'B' }, onlyNew.byId)).toBe('beta');
  });
});
