import { ConfigError } from '../config/errors.js';
import { KEYS_USAGE, keysCommand } from '../secrets/cli/keys-command.js';
import { SEAL_USAGE, sealCommand } from '../secrets/cli/seal-command.js';
import { SECRETS_USAGE, secretsCommand } from '../secrets/cli/secrets-command.js';
import { UsageError } from '../secrets/cli/usage.js';
import { VOLUMES_USAGE, volumesCommand } from '../services/cli/volumes-command.js';

const DOCTOR_USAGE = 'usage: helvetia doctor   (with the same environment as helvetia start; exit code 0 only when every check passes)';
const USAGE = { seal: SEAL_USAGE, secrets: SECRETS_USAGE, keys: KEYS_USAGE, volumes: VOLUMES_USAGE, doctor: DOCTOR_USAGE };

/** `helvetia seal|secrets|keys|volumes` (operator commands): the exit code (0 done, 2 usage, 1 failed); errors on stderr, never a value. */
export async function runOperatorCli(command: 'seal' | 'secrets' | 'keys' | 'volumes' | 'doctor', argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE[command]}\n`);
    return 0;
  }
  try {
    if (command === 'doctor') {
      const { doctorCommand } = await import('../doctor/doctor-command.js');
      return await doctorCommand(env, process.stdout);
    }
    if (command === 'seal') await sealCommand(argv, env, process.stdout);
    else if (command === 'secrets') await secretsCommand(argv, env, process.stdout);
    else if (command === 'volumes') await volumesCommand(argv, env, process.stdin, process.stdout);
    else await keysCommand(argv, process.stdout, process.stderr);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`helvetia ${command}: ${(error as Error).message}\n${usage ? `${USAGE[command]}\n` : ''}`);
    return usage ? 2 : 1;
  }
}
