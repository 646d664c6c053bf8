import { describe, expect, it } from 'vitest';
import { StoredJsonError } from '../../../src/core/db/json.js';
import { dispersionParams } from '../../../src/core/runs/dispersionParams.js';
import {
  CovariateSource,
  decodeDispersionRunParameters,
  type DispersionRunParameters,
} from '../../../src/core/runs/dispersionRunParameters.js';

const stored: DispersionRunParameters = {
  identityIndices: [3, 0, 2],
  shardSize: 2,
  checkpointEvery: 5,
  initialLatents: null,
  covariates: { source: CovariateSource.principalDirections, names: ['pc1', 'pc2'], principalSamples: 4096 },
  dispersion: dispersionParams({ variations: 4, latentRadius: 3 }),
  packDefaults: ['latentRadius'],
  generatorInputs: { camera: [0.5, 1] },
};

/** A JSON copy of `stored` with `field` of its `part` (the whole value when absent) replaced. */
function corrupt(field: string, value: unknown, part?: 'dispersion' | 'covariates'): unknown {
  const copy = JSON.parse(JSON.stringify(stored)) as Record<string, Record<string, unknown>>;
  if (part) copy[part]![field] = value;
  else (copy as Record<string, unknown>)[field] = value;
  return copy;
}

function storedError(value: unknown): string {
  try {
    decodeDispersionRunParameters(value);
  } catch (error) {
    expect(error).toBeInstanceOf(StoredJsonError);
    return (error as Error).message;
  }
  throw new Error('the stored parameters were accepted');
}

describe('decodeDispersionRunParameters', () => {
  it('reads back what the API stored, unchanged', () => {
    expect(decodeDispersionRunParameters(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
    const plain = { ...stored, covariates: null, initialLatents: 'uploads/x/latents.f32', generatorInputs: {} };
    expect(decodeDispersionRunParameters(JSON.parse(JSON.stringify(plain)))).toEqual(plain);
  });

  it('reads runs stored before runs could set generator inputs as setting none', () => {
    const { generatorInputs: _, ...older } = stored;
    expect(decodeDispersionRunParameters(older).generatorInputs).toEqual({});
  });

  it.each<[string, unknown, string]>([
    ['identityIndices', [0, -1], 'parameters.identityIndices should be an array of integers ≥ 0'],
    ['identityIndices', undefined, 'parameters.identityIndices should be an array of integers ≥ 0'],
    ['shardSize', 0, 'parameters.shardSize should be a positive integer'],
    ['checkpointEvery', '5', 'parameters.checkpointEvery should be a positive integer'],
    ['initialLatents', 7, 'parameters.initialLatents should be a string or null'],
    ['covariates', 'PACK', 'parameters.covariates should be an object or null'],
    ['dispersion', null, 'parameters.dispersion should be an object'],
    ['packDefaults', ['latentRadius', 1], 'parameters.packDefaults should be an array of strings'],
    ['generatorInputs', { camera: ['a'] }, 'parameters.generatorInputs.camera should be an array of finite numbers'],
  ])('names a corrupt %s', (field, value, message) => {
    expect(storedError(corrupt(field, value))).toBe(message);
  });

  it.each<[string, unknown, string]>([
    ['batchSize', undefined, 'parameters.dispersion.batchSize should be a number'],
    ['variations', 1, 'parameters.dispersion.variations must be an integer ≥ 2'],
    ['timestep', 0, 'parameters.dispersion.timestep must not be 0'],
  ])('names a corrupt dispersion.%s', (field, value, message) => {
    expect(storedError(corrupt(field, value, 'dispersion'))).toBe(message);
  });

  it.each<[string, unknown, string]>([
    ['source', 'GUESS', 'parameters.covariates.source should be one of PACK, PRINCIPAL_DIRECTIONS'],
    ['names', 'pc1', 'parameters.covariates.names should be an array of strings'],
    ['principalSamples', 0.5, 'parameters.covariates.principalSamples should be a positive integer'],
  ])('names a corrupt covariates.%s', (field, value, message) => {
    expect(storedError(corrupt(field, value, 'covariates'))).toBe(message);
  });

  it('refuses a value that is not an object', () => {
    expect(storedError([stored])).toBe('parameters should be an object');
  });
});
