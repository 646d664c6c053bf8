/** Minimum, mean and maximum of a quantity over identities or pairs. */
export interface Spread {
  min: number;
  avg: number;
  max: number;
}

/** Running min / sum / max, merged across tiles or groups without keeping the values. */
export class SpreadAccumulator {
  min = Infinity;
  max = -Infinity;
  sum = 0;
  count = 0;

  add(value: number): void {
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.sum += value;
    this.count += 1;
  }

  merge(other: SpreadAccumulator): void {
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.sum += other.sum;
    this.count += other.count;
  }

  spread(): Spread {
    if (this.count === 0) throw new RangeError('spread of an empty set of values');
    return { min: this.min, avg: this.sum / this.count, max: this.max };
  }
}

/** Norms of the force components of each row (identity or variation), accumulated over rows. */
export class ForceNorms {
  private readonly interaction = new SpreadAccumulator();
  private readonly latent = new SpreadAccumulator();
  private readonly random = new SpreadAccumulator();
  private readonly total = new SpreadAccumulator();

  /** Adds one row from its squared component norms; returns the row's total-force norm. */
  add(interactionSq: number, latentSq: number, randomSq: number, totalSq: number): number {
    const totalNorm = Math.sqrt(totalSq);
    this.interaction.add(Math.sqrt(interactionSq));
    this.latent.add(Math.sqrt(latentSq));
    this.random.add(Math.sqrt(randomSq));
    this.total.add(totalNorm);
    return totalNorm;
  }

  get maxTotal(): number {
    return this.total.max;
  }

  spreads(): { interactionForce: Spread; latentForce: Spread; randomForce: Spread; totalForce: Spread } {
    return {
      interactionForce: this.interaction.spread(),
      latentForce: this.latent.spread(),
      randomForce: this.random.spread(),
      totalForce: this.total.spread(),
    };
  }
}
