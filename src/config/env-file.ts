import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * Variables from a dotenv file (ENV_FILE, default ./.env) for the ones the environment does not
 * set already: `npm start` reads the same .env as docker compose. No file, no change.
 */
export function withEnvFile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const path = env.ENV_FILE ?? '.env';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return env;
    throw error;
  }
  const fromFile = parseEnv(text) as Record<string, string>;
  return { ...Object.fromEntries(Object.entries(fromFile).filter(([, v]) => v !== '')), ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) };
}
