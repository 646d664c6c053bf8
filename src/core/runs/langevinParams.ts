import {
  atMost,
  checkNumber,
  nonNegative,
  nonNegativeInteger,
  nonZero,
  positive,
  positiveInteger,
  type ParameterProblem,
} from './parameterProblems.js';

/** Settings of a Langevin run; names follow the API's LangevinRunInput. */
export interface LangevinParams {
  iterations: number;
  /** Inter-class threshold (radians) above which a pair counts towards prop_ict. */
  ict: number;
  /** k */
  repulsionCoefficient: number;
  /** d0, radians */
  repulsionRadius: number;
  /** c0, radians: radius kept around every embedding of an exclusion gallery. */
  exclusionDistance: number;
  /** > 0: fixed dt; < 0: adaptive dt with factor −timestep. */
  timestep: number;
  /** μ */
  viscosity: number;
  /** η */
  randomForce: number;
  /** k_l, pull towards w_avg */
  latentForce: number;
  /** ψ of the initial latents */
  truncationPsi: number;
  /** Latents per forward/backward call of the embedding model. */
  batchSize: number;
}

/** The paper's settings for 10k identities. */
export const DEFAULT_LANGEVIN_PARAMS: Readonly<LangevinParams> = Object.freeze({
  iterations: 100,
  ict: 1.4,
  repulsionCoefficient: 1.0,
  repulsionRadius: 1.4,
  // The paper sets no default; keeping real people as far away as identities keep from each
  // other is what the exclusion is for.
  exclusionDistance: 1.4,
  timestep: -0.3,
  viscosity: 1.0,
  randomForce: 0.01,
  latentForce: 0.1,
  truncationPsi: 0.7,
  batchSize: 32,
});

/** Checkpoint interval of a Langevin run whose input leaves it out. */
export const DEFAULT_LANGEVIN_CHECKPOINT_EVERY = 5;

export function langevinParams(overrides: Partial<LangevinParams> = {}): LangevinParams {
  const params: LangevinParams = { ...DEFAULT_LANGEVIN_PARAMS };
  for (const [field, value] of Object.entries(overrides) as [keyof LangevinParams, number | undefined][]) {
    if (value !== undefined) params[field] = value;
  }
  return params;
}

/** Every problem with `params`; empty when the run can start. */
export function validateLangevinParams(params: LangevinParams): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  const angle = atMost(Math.PI, 'π');
  checkNumber(params, 'iterations', [nonNegativeInteger], problems);
  checkNumber(params, 'ict', [nonNegative, angle], problems);
  checkNumber(params, 'repulsionCoefficient', [nonNegative], problems);
  checkNumber(params, 'repulsionRadius', [positive, angle], problems);
  checkNumber(params, 'exclusionDistance', [positive, angle], problems);
  checkNumber(params, 'timestep', [nonZero], problems);
  checkNumber(params, 'viscosity', [positive], problems);
  checkNumber(params, 'randomForce', [nonNegative], problems);
  checkNumber(params, 'latentForce', [nonNegative], problems);
  checkNumber(params, 'truncationPsi', [nonNegative], problems);
  checkNumber(params, 'batchSize', [positiveInteger], problems);
  return problems;
}

export function assertValidLangevinParams(params: LangevinParams): void {
  const problems = validateLangevinParams(params);
  if (problems.length > 0) {
    throw new RangeError(`invalid Langevin parameters: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  }
}
