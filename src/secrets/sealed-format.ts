/** `sealed:v1:<key id>:<base64url sealed box>`: what `helvetia seal` prints and .helvetia.yml holds. */
export const SEALED_PATTERN = /^sealed:v1:([0-9a-f]{16}):([A-Za-z0-9_-]+)$/;

export const SCOPES = ['production', 'previews'] as const;
export type SecretScope = (typeof SCOPES)[number];

/** Where the server publishes its public sealing key. */
export const SEAL_KEY_PATH = '/.well-known/helvetia-seal-key';

/** An environment variable name a secret may have. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
