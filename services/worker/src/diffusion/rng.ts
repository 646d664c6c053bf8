/**
 * Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11). Every value is a pure
 * function of (seed, stream, iteration, index, subindex, dimension), so results do not depend on
 * batch sizes or on the order work is done in, and a run resumes from a checkpoint that keeps
 * only the seed and the iteration.
 */

import { parseSeed } from '../../../../src/core/runs/seed.js';

/**
 * What each random quantity is for. The numbers are part of every run's provenance: never
 * reuse or renumber one.
 */
export const RandomStream = {
  /** z of the initial Langevin latents (iteration 0, index = identity). */
  initialLatent: 1,
  /** N(0, I) of the Langevin random force (index = identity). */
  langevinForce: 2,
  /** σ·N(0, I) of the initial Dispersion variations (index = identity, subindex = variation). */
  dispersionNoise: 3,
  /** u ~ U(−0.5, 0.5) of the DisCo covariate weights (index = identity, subindex = variation). */
  discoWeights: 4,
  /** N(0, I) of the Dispersion random force (index = identity, subindex = variation). */
  dispersionForce: 5,
} as const;

export type RandomStreamId = (typeof RandomStream)[keyof typeof RandomStream];

/** Where a row of random values lives; the column (dimension) is the position in the row. */
export interface RandomAddress {
  stream: RandomStreamId;
  iteration: number;
  index: number;
  /** Variation within an identity; 0 where there is none. */
  subindex?: number;
}

const MAX_UINT32 = 0xffffffff;
const MAX_SUBINDEX = 0xffffff;

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32, exact in float64 arithmetic. */
function mulHigh(a: number, b: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const bHi = b >>> 16;
  const bLo = b & 0xffff;
  const lowLow = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  const middle = (lowLow >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff);
  return (aHi * bHi + (hiLo >>> 16) + (loHi >>> 16) + (middle >>> 16)) >>> 0;
}

/** One Philox4x32-10 block: counter (c0..c3) and key (k0, k1) to four uint32 in `out`. */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHigh(PHILOX_M0, x0);
    const lo0 = Math.imul(PHILOX_M0, x0) >>> 0;
    const hi1 = mulHigh(PHILOX_M1, x2);
    const lo1 = Math.imul(PHILOX_M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + PHILOX_W0) >>> 0;
    key1 = (key1 + PHILOX_W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

const TWO_POW_26 = 67108864;
const TWO_POW_MINUS_53 = 1 / 9007199254740992;
const TWO_PI = 2 * Math.PI;

/** A uniform in [0, 1) with 53 random bits from two uint32. */
function unitUniform(high: number, low: number): number {
  return ((high >>> 5) * TWO_POW_26 + (low >>> 6)) * TWO_POW_MINUS_53;
}

function checkWord(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`random ${name} must be an integer in [0, ${max}], got ${value}`);
  }
}

/** Philox keyed by a 64-bit seed; rows of normals or uniforms addressed by `RandomAddress`. */
export class CounterRng {
  readonly seed: bigint;
  private readonly key0: number;
  private readonly key1: number;
  private readonly block = new Uint32Array(4);

  constructor(seed: bigint | number | string) {
    this.seed = parseSeed(seed);
    this.key0 = Number(this.seed & 0xffffffffn);
    this.key1 = Number(this.seed >> 32n);
  }

  /**
   * out[offset + d] = N(0, 1) for d < length. Dimensions 2k and 2k+1 share one Philox block and
   * one Box-Muller pair (cos, sin), computed in float64.
   */
  normalRow(address: RandomAddress, out: Float32Array | Float64Array, offset: number, length: number): void {
    const { c1, c2, c3 } = this.counterWords(address, length);
    const block = this.block;
    for (let d = 0; d < length; d += 2) {
      philox4x32(d >>> 1, c1, c2, c3, this.key0, this.key1, block);
      // 1 − u lies in (0, 1], so the logarithm stays finite.
      const radius = Math.sqrt(-2 * Math.log(1 - unitUniform(block[0]!, block[1]!)));
      const angle = TWO_PI * unitUniform(block[2]!, block[3]!);
      out[offset + d] = radius * Math.cos(angle);
      if (d + 1 < length) out[offset + d + 1] = radius * Math.sin(angle);
    }
  }

  /** out[offset + d] = U(−0.5, 0.5) for d < length; dimensions 2k and 2k+1 share one block. */
  centredUniformRow(address: RandomAddress, out: Float32Array | Float64Array, offset: number, length: number): void {
    const { c1, c2, c3 } = this.counterWords(address, length);
    const block = this.block;
    for (let d = 0; d < length; d += 2) {
      philox4x32(d >>> 1, c1, c2, c3, this.key0, this.key1, block);
      out[offset + d] = unitUniform(block[0]!, block[1]!) - 0.5;
      if (d + 1 < length) out[offset + d + 1] = unitUniform(block[2]!, block[3]!) - 0.5;
    }
  }

  private counterWords(address: RandomAddress, length: number): { c1: number; c2: number; c3: number } {
    const subindex = address.subindex ?? 0;
    checkWord('index', address.index, MAX_UINT32);
    checkWord('iteration', address.iteration, MAX_UINT32);
    checkWord('subindex', subindex, MAX_SUBINDEX);
    checkWord('row length', length, 2 * MAX_UINT32);
    return { c1: address.index, c2: address.iteration, c3: ((address.stream << 24) | subindex) >>> 0 };
  }
}
