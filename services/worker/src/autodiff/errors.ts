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

/** The gradient graph differs between batch sizes in a way no run-time shape computation expresses. */
export class BatchDependentGradientError extends Error {
  constructor(readonly what: string) {
    super(`the gradient graph cannot serve every batch size: ${what}`);
    this.name = 'BatchDependentGradientError';
  }
}
