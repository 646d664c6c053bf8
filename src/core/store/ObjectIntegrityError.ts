/** An object whose bytes are not the ones the platform wrote: never used, and named in the error. */
export class ObjectIntegrityError extends Error {
  constructor(
    readonly key: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`object ${key} was altered: its sha256 is ${actualSha256}, the platform wrote ${expectedSha256}`);
    this.name = 'ObjectIntegrityError';
  }
}
