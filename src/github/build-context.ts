/** The repository's source cannot become a build context: the message says which file and why. */
export class SourceError extends Error {
  override readonly name: string = 'SourceError';
}
