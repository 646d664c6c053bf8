/**
 * Covariate directions for packs without labelled ones: principal directions of W, as GANSpace
 * finds them (Härkönen et al. 2020), from latents M(z) of the pack's mapping network. The latents
 * come from a fixed seed, so the directions are a property of the pack: every shard, worker and
 * run on the pack computes the same ones.
 */
import type { CovariateDirections } from './dispersion.js';
import { initialLatents, type LatentMapping } from './langevin.js';
import { CounterRng } from './rng.js';

const principalSeed = 0x9a5e_5ace;
const powerIterations = 300;

export interface PrincipalDirectionOptions {
  count: number;
  samples: number;
  noiseDim: number;
  latentAverage: Float32Array;
  mapping: LatentMapping;
  batchSize: number;
}

/**
 * The `count` leading eigenvectors of the covariance of M(z), by power iteration with deflation,
 * each signed so that its largest component is positive. Scales are 2·√λ: DisCo's u ~ U(−0.5, 0.5)
 * then moves a variation by up to one standard deviation of W along the direction.
 */
export async function principalDirections(options: PrincipalDirectionOptions): Promise<CovariateDirections> {
  const { count, samples, latentAverage, mapping, batchSize, noiseDim } = options;
  const dim = latentAverage.length;
  const rng = new CounterRng(BigInt(principalSeed));
  const w = await initialLatents({
    count: samples,
    noiseDim,
    latentAverage,
    truncationPsi: 1,
    batchSize,
    mapping,
    rng,
  });
  const mean = new Float64Array(dim);
  for (let i = 0; i < samples; i++) for (let d = 0; d < dim; d++) mean[d] += w[i * dim + d]! / samples;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < samples; i++) {
    for (let d = 0; d < dim; d++) centred[d] = w[i * dim + d]! - mean[d]!;
    for (let a = 0; a < dim; a++) {
      const ca = centred[a]! / (samples - 1);
      for (let b = 0; b < dim; b++) covariance[a * dim + b] += ca * centred[b]!;
    }
  }
  const directions = new Float32Array(count * dim);
  const scales = new Float32Array(count);
  const v = new Float64Array(dim);
  const next = new Float64Array(dim);
  for (let c = 0; c < count; c++) {
    for (let d = 0; d < dim; d++) v[d] = 1 / Math.sqrt(dim) + d * 1e-3;
    let eigenvalue = 0;
    for (let step = 0; step < powerIterations; step++) {
      for (let a = 0; a < dim; a++) {
        let sum = 0;
        for (let b = 0; b < dim; b++) sum += covariance[a * dim + b]! * v[b]!;
        next[a] = sum;
      }
      eigenvalue = Math.hypot(...next);
      if (eigenvalue === 0) break;
      for (let d = 0; d < dim; d++) v[d] = next[d]! / eigenvalue;
    }
    let largest = 0;
    for (let d = 0; d < dim; d++) if (Math.abs(v[d]!) > Math.abs(v[largest]!)) largest = d;
    const sign = v[largest]! < 0 ? -1 : 1;
    for (let d = 0; d < dim; d++) directions[c * dim + d] = sign * v[d]!;
    scales[c] = 2 * Math.sqrt(eigenvalue);
    // Deflate: remove this direction's share of the covariance before finding the next.
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) covariance[a * dim + b] -= eigenvalue * v[a]! * v[b]!;
  }
  return { count, directions, scales };
}
