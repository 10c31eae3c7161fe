/** Base class of every error the build-log module throws on purpose. */
export class BuildLogError extends Error {
  override readonly name: string = 'BuildLogError';
}

/** A log id that cannot be used in a URL or a Redis key (see LOG_ID_PATTERN). */
export class InvalidLogIdError extends BuildLogError {
  override readonly name = 'InvalidLogIdError';
  constructor(readonly id: string) {
    super(`invalid build log id ${JSON.stringify(id.slice(0, 80))}: use 1-200 characters of A-Z a-z 0-9 _ - starting with a letter or digit`);
  }
}

/** An argument other than the id that the store refuses (bad status, bad URL, ...). */
export class InvalidLogArgumentError extends BuildLogError {
  override readonly name = 'InvalidLogArgumentError';
}
