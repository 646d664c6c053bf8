/** Why an embedded server could not start, with a stable code and what the operator can do about it. */
export class EmbeddedServerError extends Error {
  constructor(
    readonly code: 'DATA_DIR_NOT_ACCESSIBLE' | 'POSTGRES_IN_USE' | 'POSTGRES_START_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'EmbeddedServerError';
  }
}
