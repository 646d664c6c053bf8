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
