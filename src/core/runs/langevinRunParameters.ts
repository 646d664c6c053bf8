import { StoredJsonError } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';
import { decodeGeneratorInputs, type RunGeneratorInputs } from './generatorInputs.js';
import { DEFAULT_LANGEVIN_PARAMS, validateLangevinParams, type LangevinParams } from './langevinParams.js';

/** Run.parameters of a Langevin run: written by the API after validation, read by the worker. */
export interface LangevinRunParameters {
  numIdentities: number;
  checkpointEvery: number;
  /** Object key of float32 N×W latents to start from, instead of sampling them. */
  initialLatents: string | null;
  exclusionGalleryId: string | null;
  langevin: LangevinParams;
  /** Constant generator inputs the run sets instead of the pack's (EG3D's camera), by runParameter key. */
  generatorInputs: RunGeneratorInputs;
}

function nullableString(value: unknown, path: string): string | null {
  if (value === null || typeof value === 'string') return value;
  throw new StoredJsonError(`${path} should be a string or null`);
}

/** Run.parameters of a Langevin run read back, checked as the API checked them before storing. */
export function decodeLangevinRunParameters(value: unknown): LangevinRunParameters {
  if (!isRecord(value) || !isRecord(value.langevin))
    throw new StoredJsonError('parameters should be an object with a langevin object');
  const stored = value.langevin;
  const langevin = { ...DEFAULT_LANGEVIN_PARAMS };
  for (const field of Object.keys(langevin) as Array<keyof LangevinParams>) {
    const item = stored[field];
    if (typeof item !== 'number') throw new StoredJsonError(`parameters.langevin.${field} should be a number`);
    langevin[field] = item;
  }
  const problems = validateLangevinParams(langevin);
  if (problems.length > 0)
    throw new StoredJsonError(`parameters.langevin.${problems[0]!.field} ${problems[0]!.message}`);
  const { numIdentities, checkpointEvery } = value;
  if (typeof numIdentities !== 'number' || !Number.isInteger(numIdentities) || numIdentities < 1) {
    throw new StoredJsonError('parameters.numIdentities should be a positive integer');
  }
  if (typeof checkpointEvery !== 'number' || !Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
    throw new StoredJsonError('parameters.checkpointEvery should be a positive integer');
  }
  return {
    numIdentities,
    checkpointEvery,
    initialLatents: nullableString(value.initialLatents, 'parameters.initialLatents'),
    exclusionGalleryId: nullableString(value.exclusionGalleryId, 'parameters.exclusionGalleryId'),
    langevin,
    generatorInputs: decodeGeneratorInputs(value.generatorInputs, 'parameters.generatorInputs'),
  };
}
