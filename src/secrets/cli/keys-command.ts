import { encodeKey, generateKey } from '../sealing.js';
import { UsageError } from './usage.js';

export const KEYS_USAGE = `usage:
  helvetia keys generate   print a new sealing key pair: SEAL_PRIVATE_KEY=… on stdout (keep it secret),
                           its public key and id on stderr`;

/** `helvetia keys generate`. Rotation: move the old SEAL_PRIVATE_KEY to SEAL_PREVIOUS_KEYS. */
export async function keysCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<void> {
  if (argv[0] !== 'generate' || argv.length !== 1) throw new UsageError('the only keys command is `generate`');
  const key = await generateKey();
  out.write(`SEAL_PRIVATE_KEY=${await encodeKey(key.privateKey)}\n`);
  err.write(`public key ${await encodeKey(key.publicKey)} (id ${key.id}); served at APP_BASE_URL/.well-known/helvetia-seal-key once the server runs with it\n`);
}
