/** Build logs (issue 5): storage, redaction, signed links and the HTTP viewer. */
export { loadLogConfig, type LogConfig } from './log-config.js';
export { BuildLogStore, type BuildLogStoreOptions } from './build-log-store.js';
export { createLogRouter, type LogRouterOptions } from './log-router.js';
export { signLogToken, verifyLogToken, logUrl, type LogTokenCheck } from './log-token.js';
export { createGetSafeOrigin, parseOrigin, type GetSafeOrigin } from './origins.js';
export { redactText, REDACTED } from './redactor.js';
export { LOG_ID_PATTERN, isValidLogId } from './log-id.js';
export { BuildLogError, InvalidLogIdError, InvalidLogArgumentError } from './errors.js';
export type { LogEntry, LogMeta, LogMetaInput, LogSource, LogStatus } from './log-entry.js';
