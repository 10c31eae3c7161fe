import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths never written to a log line, whatever a caller passes in. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'privateKey',
  '*.privateKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'config.privateKey',
  'config.WEBHOOK_SECRET',
];

/** The one root logger of a process; everything else is a child of it. */
export function createLogger(options: { level?: string; name?: string } = {}, destination?: pino.DestinationStream): Logger {
  return pino(
    { level: options.level ?? 'info', name: options.name ?? 'helvetia', redact: { paths: REDACT_PATHS, censor: '***' } },
    destination,
  );
}
