import { StoredJsonError } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';
import { DEFAULT_DISPERSION_PARAMS, validateDispersionParams, type DispersionParams } from './dispersionParams.js';
import { decodeGeneratorInputs, type RunGeneratorInputs } from './generatorInputs.js';

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

function fail(path: string, expected: string): never {
  throw new StoredJsonError(`${path} should be ${expected}`);
}

function positiveInteger(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : fail(path, 'a positive integer');
}

function nullableString(value: unknown, path: string): string | null {
  return value === null || typeof value === 'string' ? value : fail(path, 'a string or null');
}

function strings(value: unknown, path: string): string[] {
  return Array.isArray(value) && value.every((item): item is string => typeof item === 'string')
    ? value
    : fail(path, 'an array of strings');
}

function covariates(value: unknown, path: string): RunCovariates | null {
  if (value === null) return null;
  if (!isRecord(value)) fail(path, 'an object or null');
  const sources: readonly CovariateSource[] = Object.values(CovariateSource);
  const isSource = (item: unknown): item is CovariateSource => sources.some((source) => source === item);
  const source = isSource(value.source) ? value.source : fail(`${path}.source`, `one of ${sources.join(', ')}`);
  return {
    source,
    names: strings(value.names, `${path}.names`),
    principalSamples:
      value.principalSamples === null ? null : positiveInteger(value.principalSamples, `${path}.principalSamples`),
  };
}

function dispersion(value: unknown, path: string): DispersionParams {
  if (!isRecord(value)) fail(path, 'an object');
  const params = { ...DEFAULT_DISPERSION_PARAMS };
  for (const field of Object.keys(params) as Array<keyof DispersionParams>) {
    const item = value[field];
    params[field] = typeof item === 'number' ? item : fail(`${path}.${field}`, 'a number');
  }
  const problem = validateDispersionParams(params)[0];
  if (problem) throw new StoredJsonError(`${path}.${problem.field} ${problem.message}`);
  return params;
}

function indices(value: unknown, path: string): number[] {
  const isIndex = (item: unknown): item is number => typeof item === 'number' && Number.isInteger(item) && item >= 0;
  return Array.isArray(value) && value.every(isIndex) ? value : fail(path, 'an array of integers ≥ 0');
}

/** Run.parameters of a Dispersion or DisCo run read back, checked as the API checked them before storing. */
export function decodeDispersionRunParameters(value: unknown): DispersionRunParameters {
  if (!isRecord(value)) fail('parameters', 'an object');
  return {
    identityIndices: indices(value.identityIndices, 'parameters.identityIndices'),
    shardSize: positiveInteger(value.shardSize, 'parameters.shardSize'),
    checkpointEvery: positiveInteger(value.checkpointEvery, 'parameters.checkpointEvery'),
    initialLatents: nullableString(value.initialLatents, 'parameters.initialLatents'),
    covariates: covariates(value.covariates, 'parameters.covariates'),
    dispersion: dispersion(value.dispersion, 'parameters.dispersion'),
    packDefaults: strings(value.packDefaults, 'parameters.packDefaults'),
    generatorInputs: decodeGeneratorInputs(value.generatorInputs, 'parameters.generatorInputs'),
  };
}
