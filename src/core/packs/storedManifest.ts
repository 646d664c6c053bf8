import { StoredJsonError } from '../db/json.js';
import { isRecord, validateJson, type JsonSchema } from './jsonSchema.js';
import {
  manifestFileName,
  validateManifest,
  type ConstantInputSpec,
  type CovariateSpec,
  type DispersionDefaults,
  type PackManifest,
} from './manifest.js';
import { modelPackSchema } from './manifestSchema.js';
import { PackError } from './PackError.js';

/**
 * ModelPack.manifest read back, checked as registration checked it (schema and the rules a schema
 * cannot say). Readers that need the whole manifest (an export's alignment and image size) use this.
 */
export function decodeStoredManifest(value: unknown, path = 'manifest'): PackManifest {
  try {
    return validateManifest(value);
  } catch (error) {
    if (!(error instanceof PackError)) throw error;
    // The PackError's message is "<field>: <detail>"; the field is the file name when the whole value is wrong.
    const field = error.field === manifestFileName ? path : `${path}.${error.field}`;
    throw new StoredJsonError(`${field} ${error.message.slice(error.field.length + 2)}`, { cause: error });
  }
}

/** The parts of a stored manifest that a Dispersion or DisCo run takes its defaults and covariates from. */
export interface StoredDispersionSettings {
  dispersion: DispersionDefaults;
  covariates: CovariateSpec[];
}

/**
 * The Dispersion defaults and covariates of ModelPack.manifest, each checked against its part of the
 * pack schema. Both are optional in a manifest, so a row that holds only a name (the test seeds')
 * has none; the rest of the manifest is not read here.
 */
export function decodeStoredDispersionSettings(value: unknown, path = 'manifest'): StoredDispersionSettings {
  if (!isRecord(value)) throw new StoredJsonError(`${path} should be an object`);
  const properties = modelPackSchema.properties!;
  return {
    dispersion: part<DispersionDefaults>(properties.dispersion!, value.dispersion, `${path}.dispersion`) ?? {},
    covariates: part<CovariateSpec[]>(properties.covariates!, value.covariates, `${path}.covariates`) ?? [],
  };
}

/**
 * The constant generator inputs of ModelPack.manifest, checked against their part of the pack
 * schema; none when the manifest has no generator (a row seeded with only a name) or no such inputs.
 */
export function decodeStoredConstantInputs(value: unknown, path = 'manifest'): ConstantInputSpec[] {
  if (!isRecord(value)) throw new StoredJsonError(`${path} should be an object`);
  if (!isRecord(value.generator)) return [];
  const schema = modelPackSchema.properties!.generator!.properties!.constantInputs!;
  return part<ConstantInputSpec[]>(schema, value.generator.constantInputs, `${path}.generator.constantInputs`) ?? [];
}

/** `value` checked against `schema`, which describes T field by field; undefined when absent. */
function part<T>(schema: JsonSchema, value: unknown, path: string): T | undefined {
  if (value === undefined) return undefined;
  const first = validateJson(schema, value, path)[0];
  if (first) throw new StoredJsonError(`${first.path} ${first.message}`);
  return value as T;
}
