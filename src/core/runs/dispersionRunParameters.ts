import type { DispersionParams } from './dispersionParams.js';
import type { RunGeneratorInputs } from './generatorInputs.js';

/** Where DisCo's covariate directions come from. */
export const CovariateSource = {
  /** Named directions with scales shipped in the pack's manifest. */
  pack: 'PACK',
  /** Principal directions of W sampled through the mapping network (GANSpace-style), computed by the worker. */
  principalDirections: 'PRINCIPAL_DIRECTIONS',
} as const;
export type CovariateSource = (typeof CovariateSource)[keyof typeof CovariateSource];

export interface RunCovariates {
  source: CovariateSource;
  /** PACK: the manifest's names, in its order; PRINCIPAL_DIRECTIONS: pc1, pc2, … */
  names: string[];
  /** PRINCIPAL_DIRECTIONS: how many latents of the mapping network the directions are estimated from. */
  principalSamples: number | null;
}

/** Run.parameters of a Dispersion or DisCo run: written by the API after validation, read by the worker. */
export interface DispersionRunParameters {
  /** Identities of the parent Langevin run, by their index there, in the order of this run. */
  identityIndices: number[];
  shardSize: number;
  checkpointEvery: number;
  /** Object key of float32 identities × variations × W latents to start from, identity-major. */
  initialLatents: string | null;
  /** Null: plain Dispersion. */
  covariates: RunCovariates | null;
  dispersion: DispersionParams;
  /** Which settings came from the pack's manifest rather than the paper or the input. */
  packDefaults: string[];
  /** Constant generator inputs set for this run (the parent's unless the input sets them), by runParameter key. */
  generatorInputs: RunGeneratorInputs;
}

export const defaultShardSize = 16;
export const defaultDispersionCheckpointEvery = 5;
export const defaultPrincipalSamples = 4096;
/** PRINCIPAL_DIRECTIONS: how many directions when the input does not say. */
export const defaultPrincipalDirections = 3;
