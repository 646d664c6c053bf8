import { bytesToFloat32, float32ToBytes } from '../db/floats.js';

/** At most this many impostor pairs are kept: enough to read false-match rates down to ~1e-5. */
export const maxImpostorPairs = 400_000;

/**
 * Cosine similarities of impostor pairs (rows with different labels) within a gallery, sorted
 * descending. Every pair when there are few enough, otherwise a sample drawn with a generator
 * seeded by the gallery's digest, so the same gallery always gives the same distribution.
 */
export function impostorSimilarities(
  values: Float32Array,
  rows: number,
  dim: number,
  labels: readonly string[],
  digest: string,
): Float32Array {
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += values[r * dim + d]! ** 2;
    norms[r] = Math.sqrt(sum);
  }
  const cosine = (a: number, b: number): number => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += values[a * dim + d]! * values[b * dim + d]!;
    return s / (norms[a]! * norms[b]!);
  };
  const out: number[] = [];
  const allPairs = (rows * (rows - 1)) / 2;
  if (allPairs <= maxImpostorPairs) {
    for (let a = 0; a < rows; a++)
      for (let b = a + 1; b < rows; b++) if (labels[a] !== labels[b]) out.push(cosine(a, b));
  } else {
    const random = seededUniform(digest);
    // Same-label draws are skipped; the attempt cap ends galleries that are almost one subject.
    for (let attempt = 0; out.length < maxImpostorPairs && attempt < 4 * maxImpostorPairs; attempt++) {
      const a = Math.floor(random() * rows);
      const b = Math.floor(random() * rows);
      if (a !== b && labels[a] !== labels[b]) out.push(cosine(a, b));
    }
  }
  return Float32Array.from(out.sort((x, y) => y - x));
}

/** Rows an ImpostorReservoir keeps: 8,192 rows give 33 million pairs to draw the 400,000 from. */
export const impostorReservoirRows = 8192;

/**
 * A uniform sample of a gallery's rows taken while they stream past (reservoir sampling, with a
 * fixed seed so the same file gives the same sample), for the impostor distribution of galleries
 * too large to hold: memory is `capacity` rows whatever the gallery's size. A gallery of at most
 * `capacity` rows is kept whole, so its distribution is exactly impostorSimilarities over all rows.
 */
export class ImpostorReservoir {
  private readonly values: Float32Array;
  private readonly labels: string[] = [];
  private readonly rowOf: number[] = [];
  private seen = 0;
  private readonly random = seededUniform('5eed0000');

  constructor(
    private readonly dim: number,
    private readonly capacity = impostorReservoirRows,
  ) {
    this.values = new Float32Array(capacity * dim);
  }

  /** Offers `rows` consecutive rows (row-major) with their labels. */
  offer(values: Float32Array, labels: readonly string[]): void {
    for (let r = 0; r < labels.length; r++, this.seen++) {
      const slot = this.seen < this.capacity ? this.seen : Math.floor(this.random() * (this.seen + 1));
      if (slot >= this.capacity) continue;
      this.values.set(values.subarray(r * this.dim, (r + 1) * this.dim), slot * this.dim);
      this.labels[slot] = labels[r]!;
      this.rowOf[slot] = this.seen;
    }
  }

  /** impostorSimilarities over the sampled rows, taken in gallery order. */
  similarities(digest: string): Float32Array {
    const kept = this.labels.length;
    const order = Array.from({ length: kept }, (_, slot) => slot).sort((a, b) => this.rowOf[a]! - this.rowOf[b]!);
    const values = new Float32Array(kept * this.dim);
    order.forEach((slot, i) => values.set(this.values.subarray(slot * this.dim, (slot + 1) * this.dim), i * this.dim));
    return impostorSimilarities(
      values,
      kept,
      this.dim,
      order.map((slot) => this.labels[slot]!),
      digest,
    );
  }
}

export function encodeImpostors(similarities: Float32Array): Uint8Array<ArrayBuffer> {
  return float32ToBytes(similarities);
}

export function decodeImpostors(bytes: Uint8Array | null): Float32Array {
  return bytes ? bytesToFloat32(bytes) : new Float32Array(0);
}

/** Share of impostor pairs whose similarity is above `threshold` (a pair matches when similarity > threshold). */
export function falseMatchRate(sortedDescending: Float32Array, threshold: number): number {
  if (sortedDescending.length === 0) return Number.NaN;
  let lo = 0;
  let hi = sortedDescending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedDescending[mid]! > threshold) lo = mid + 1;
    else hi = mid;
  }
  return lo / sortedDescending.length;
}

/**
 * The lowest threshold whose false-match rate on the impostor pairs is at most `target`: the
 * (⌊target·n⌋+1)-th largest impostor similarity, since only pairs strictly above it match.
 */
export function thresholdForFalseMatchRate(
  sortedDescending: Float32Array,
  target: number,
): { threshold: number; falseMatchRate: number } {
  const allowed = Math.floor(target * sortedDescending.length);
  const threshold = allowed >= sortedDescending.length ? -1 : sortedDescending[allowed]!;
  return { threshold, falseMatchRate: falseMatchRate(sortedDescending, threshold) };
}

/** Counts in `bins` equal bins over [-1, 1]; values at 1 fall in the last bin. */
export function histogram(values: ArrayLike<number>, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(((values[i]! + 1) / 2) * bins)));
    counts[bin]!++;
  }
  return counts;
}

/** mulberry32, seeded from a hex digest: small, and the sample only needs to be reproducible. */
function seededUniform(digest: string): () => number {
  let state = Number.parseInt(digest.slice(0, 8), 16) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
