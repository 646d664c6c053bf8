/** A failure of the run itself (bad numbers, a model error): retrying would fail the same way. */
export class RunFailure extends Error {
  constructor(
    message: string,
    readonly iteration: number,
  ) {
    super(message);
  }
}
