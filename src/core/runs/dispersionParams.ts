import {
  checkNumber,
  nonNegative,
  nonZero,
  positive,
  positiveInteger,
  type ParameterProblem,
} from './parameterProblems.js';

/** Settings of a Dispersion or DisCo run. */
export interface DispersionParams {
  iterations: number;
  /** A, variations per identity */
  variations: number;
  /** k_e, pull of each variation's embedding towards its reference's */
  embeddingCoefficient: number;
  /** k_w, latent repulsion between variations of one identity */
  latentCoefficient: number;
  /** r0, Euclidean radius of the latent repulsion */
  latentRadius: number;
  /** k_g, pull towards w_avg */
  globalCoefficient: number;
  /** η */
  randomForce: number;
  /** μ */
  viscosity: number;
  /** > 0: fixed dt; < 0: adaptive dt with factor −timestep, per identity. */
  timestep: number;
  /** σ of the initial variations around the reference latent */
  initialNoise: number;
  /** Latents per forward/backward call of the embedding model. */
  batchSize: number;
}

/** The paper's settings. */
export const DEFAULT_DISPERSION_PARAMS: Readonly<DispersionParams> = Object.freeze({
  iterations: 20,
  variations: 64,
  embeddingCoefficient: 20,
  latentCoefficient: 1,
  latentRadius: 12,
  globalCoefficient: 1,
  randomForce: 0.05,
  viscosity: 1,
  timestep: 0.05,
  initialNoise: 0.2,
  batchSize: 32,
});

export function dispersionParams(overrides: Partial<DispersionParams> = {}): DispersionParams {
  const params: DispersionParams = { ...DEFAULT_DISPERSION_PARAMS };
  for (const [field, value] of Object.entries(overrides) as [keyof DispersionParams, number | undefined][]) {
    if (value !== undefined) params[field] = value;
  }
  return params;
}

const atLeastTwo = (v: number): string | null => (Number.isInteger(v) && v >= 2 ? null : 'must be an integer ≥ 2');

/** Every problem with `params`; empty when the run can start. */
export function validateDispersionParams(params: DispersionParams): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  checkNumber(params, 'iterations', [positiveInteger], problems);
  checkNumber(params, 'variations', [atLeastTwo], problems);
  checkNumber(params, 'embeddingCoefficient', [nonNegative], problems);
  checkNumber(params, 'latentCoefficient', [nonNegative], problems);
  checkNumber(params, 'latentRadius', [positive], problems);
  checkNumber(params, 'globalCoefficient', [nonNegative], problems);
  checkNumber(params, 'randomForce', [nonNegative], problems);
  checkNumber(params, 'viscosity', [positive], problems);
  checkNumber(params, 'timestep', [nonZero], problems);
  checkNumber(params, 'initialNoise', [nonNegative], problems);
  checkNumber(params, 'batchSize', [positiveInteger], problems);
  return problems;
}

export function assertValidDispersionParams(params: DispersionParams): void {
  const problems = validateDispersionParams(params);
  if (problems.length > 0) {
    throw new RangeError(`invalid Dispersion parameters: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  }
}
