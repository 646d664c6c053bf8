import { createHash } from 'node:crypto';
import { validateJson, isRecord, type SchemaViolation } from './jsonSchema.js';
import { modelPackSchema, packFormat } from './manifestSchema.js';
import { PackError } from './PackError.js';

export interface PackFile {
  /** Relative path inside the pack. */
  file: string;
  sha256: string;
}

export interface ModelFileSpec extends PackFile {
  input: string;
  output: string;
}

/** [low, high] */
export type PixelRange = [number, number];

export interface MappingSpec extends ModelFileSpec {
  zDim: number;
}

export interface GeneratorSpec extends ModelFileSpec {
  layout: 'NCHW';
  channels: number;
  height: number;
  width: number;
  pixelRange: PixelRange;
}

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface AlignmentSpec {
  crop: CropBox;
  outputSize: { width: number; height: number };
  pixelRange: PixelRange;
}

export type VectorSpec = PackFile | { values: number[] };

export interface CovariateSpec extends PackFile {
  name: string;
  scale: number;
}

/**
 * Dispersion settings where the paper's do not suit the pack's latent space (r0 = 12 is sized for
 * StyleGAN2's 512-dimensional W); a run's input still wins.
 */
export interface DispersionDefaults {
  latentRadius?: number;
  initialNoise?: number;
  embeddingCoefficient?: number;
  latentCoefficient?: number;
  globalCoefficient?: number;
  randomForce?: number;
  timestep?: number;
}

/** manifest.json of a model pack; schema/model-pack.schema.json describes every field. */
export interface PackManifest {
  format: typeof packFormat;
  name: string;
  description?: string;
  latentDim: number;
  embeddingDim: number;
  mapping: MappingSpec;
  generator: GeneratorSpec;
  alignment: AlignmentSpec;
  recognizer: ModelFileSpec;
  wAvg: VectorSpec;
  truncation: number;
  covariates?: CovariateSpec[];
  dispersion?: DispersionDefaults;
}

export const manifestFileName = 'manifest.json';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** JSON with object keys sorted at every level and no whitespace: one text per manifest. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
  return text;
}

/** The pack's identity in provenance: sha256 of the canonical manifest, which holds every file digest. */
export function packDigest(manifest: PackManifest): string {
  return sha256Hex(canonicalJson(manifest));
}

/** Every file the manifest names, with the manifest field that names it. */
export function packFiles(manifest: PackManifest): Array<{ field: string; file: string; sha256: string }> {
  const files = [
    { field: 'mapping', ...pick(manifest.mapping) },
    { field: 'generator', ...pick(manifest.generator) },
    { field: 'recognizer', ...pick(manifest.recognizer) },
  ];
  if ('file' in manifest.wAvg) files.push({ field: 'wAvg', ...pick(manifest.wAvg) });
  (manifest.covariates ?? []).forEach((covariate, index) => files.push({ field: `covariates[${index}]`, ...pick(covariate) }));
  return files;
}

function pick(spec: PackFile): PackFile {
  return { file: spec.file, sha256: spec.sha256 };
}

export function parseManifest(text: string): PackManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PackError('manifest-not-json', manifestFileName, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return validateManifest(value);
}

/** Checks the manifest against the schema, then the rules a schema cannot say; throws the first violation. */
export function validateManifest(value: unknown): PackManifest {
  const violations = validateJson(modelPackSchema, value);
  if (violations.length === 0 && isRecord(value)) violations.push(...semanticViolations(value as unknown as PackManifest));
  const first = violations[0];
  if (first) {
    const more = violations.length > 1 ? ` (and ${violations.length - 1} more: ${violations.slice(1).map(describe).join('; ')})` : '';
    throw new PackError('manifest-invalid', first.path || manifestFileName, `${first.message}${more}`);
  }
  return value as PackManifest;
}

function describe(violation: SchemaViolation): string {
  return `${violation.path || manifestFileName}: ${violation.message}`;
}

function semanticViolations(manifest: PackManifest): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  for (const { field, file } of packFiles(manifest)) {
    const path = `${field}.file`;
    if (file.startsWith('/') || file.includes('\\') || file.split('/').some((part) => part === '..' || part === '.' || part === '')) {
      violations.push({ path, message: "must be a relative path inside the pack ('/' separated, no '.', '..' or empty parts)" });
    }
  }
  for (const [path, range] of [
    ['generator.pixelRange', manifest.generator.pixelRange],
    ['alignment.pixelRange', manifest.alignment.pixelRange],
  ] as const) {
    if (!(range[0] < range[1])) violations.push({ path, message: `low must be below high, got [${range.join(', ')}]` });
  }
  const { crop } = manifest.alignment;
  const { width, height } = manifest.generator;
  if (crop.x + crop.width > width || crop.y + crop.height > height) {
    violations.push({
      path: 'alignment.crop',
      message: `box x ${crop.x}..${crop.x + crop.width}, y ${crop.y}..${crop.y + crop.height} is outside the ${width}×${height} generator image`,
    });
  }
  if ('values' in manifest.wAvg && manifest.wAvg.values.length !== manifest.latentDim) {
    violations.push({ path: 'wAvg.values', message: `has ${manifest.wAvg.values.length} values, latentDim is ${manifest.latentDim}` });
  }
  const seen = new Set<string>();
  (manifest.covariates ?? []).forEach((covariate, index) => {
    if (seen.has(covariate.name)) violations.push({ path: `covariates[${index}].name`, message: `repeats "${covariate.name}"` });
    seen.add(covariate.name);
  });
  return violations;
}
