/** A node on the gradient path whose operator has no gradient rule. */
export class UnsupportedOperatorError extends Error {
  constructor(
    readonly opType: string,
    readonly nodeName: string,
    readonly supported: readonly string[],
  ) {
    super(
      `cannot differentiate node "${nodeName}": operator ${opType} has no gradient rule. ` +
        `Supported operators: ${supported.join(', ')}`,
    );
    this.name = 'UnsupportedOperatorError';
  }
}
