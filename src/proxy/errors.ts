/**
 * A request the proxy refuses. `rule` is a short stable identifier (logged and shown to the client),
 * `message` says what exactly was wrong, e.g. rule "privileged", "HostConfig.Privileged must be false".
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly rule: string,
    message: string,
    /** HTTP status sent to the client; refusals are 403 unless the request itself is unusable. */
    readonly status = 403,
  ) {
    super(message);
  }
}

/** The Docker daemon could not be reached or answered something the proxy cannot use. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(message: string, readonly status = 502) {
    super(message);
  }
}
