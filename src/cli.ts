#!/usr/bin/env node
import { ConfigError } from './config/errors.js';
import { withEnvFile } from './config/env-file.js';

const USAGE = `usage: helvetia <command>

commands:
  start    webhook server and build worker in one process (single-host default)
  app      webhook server, /healthz and the build-log endpoint only
  worker   build worker only
  proxy    Docker socket proxy enforcing the security policy
  seal     seal a secret value for .helvetia.yml (helvetia seal --help)
  secrets  the server-side secret store: set, unset, list (helvetia secrets --help)
  keys     generate a sealing key pair (helvetia keys generate)
  volumes  an environment's volumes: list, backup, restore (helvetia volumes --help)
  doctor   checks Redis, Docker, the edge network, images, GitHub, DNS, Traefik and disk; exit 0 when all pass

start, app, worker and the operator commands read ./.env (ENV_FILE) for variables not set already.
`;

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  switch (command) {
    case 'start':
    case 'app':
    case 'worker': {
      const { runRoles } = await import('./main/run-roles.js');
      await runRoles(command, withEnvFile(process.env));
      return;
    }
    case 'proxy': {
      const { runProxy } = await import('./proxy/main.js');
      await runProxy(process.env);
      return;
    }
    case 'seal':
    case 'secrets':
    case 'keys':
    case 'volumes':
    case 'doctor': {
      const { runOperatorCli } = await import('./main/run-operator-cli.js');
      process.exitCode = await runOperatorCli(command, argv.slice(1), withEnvFile(process.env));
      return;
    }
    default:
      process.stderr.write(USAGE);
      process.exitCode = command === undefined || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
