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

/** A generator input other than w, held constant for a run (EG3D's camera, noise buffers, a truncation input). */
export interface ConstantInputSpec {
  name: string;
  /** Dims of one sample when `perSample`, else of the whole input. */
  dims: number[];
  /** The input has a leading batch axis; the values repeat for every sample. */
  perSample: boolean;
  /** Default values (inline, or a float32 file). */
  values?: number[];
  file?: string;
  sha256?: string;
  /** Key of the run's `generatorInputs` parameter that may replace the default (e.g. "camera"). */
  runParameter?: string;
}

export interface GeneratorSpec extends ModelFileSpec {
  layout: 'NCHW';
  channels: number;
  height: number;
  width: number;
  pixelRange: PixelRange;
  /** w+ synthesis networks: the input is [batch, numWs, latentDim] and the run's one w is broadcast to every layer. */
  numWs?: number;
  /** The export runs only at this batch size (fused modulated convolutions exported as grouped Conv with group = batch). */
  batch?: number;
  constantInputs?: ConstantInputSpec[];
}

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** [x, y] in pixels, pixel centres at integers. */
export type Point = [number, number];

/** Five facial landmarks (eyes, nose tip, mouth corners) of the generator's images, warped onto a template. */
export interface LandmarkAlignment {
  points: Point[];
  /** 'arcface': ArcFace's 112×112 template scaled to outputSize; or five points in output pixels. */
  template: 'arcface' | Point[];
}

export interface AlignmentSpec {
  /** Crop box and resize; exactly one of `crop` and `landmarks`. */
  crop?: CropBox;
  landmarks?: LandmarkAlignment;
  outputSize: { width: number; height: number };
  pixelRange: PixelRange;
}

/** How the recognizer wants its input, after alignment and the pixel-range map. */
export interface RecognizerSpec extends ModelFileSpec {
  /** Default 'RGB' (the generator's order). */
  channelOrder?: 'RGB' | 'BGR';
  /** Per-channel (x − mean) / std, in the recognizer's channel order. */
  normalization?: { mean: number[]; std: number[] };
  /** Default 'NCHW'. */
  layout?: 'NCHW' | 'NHWC';
  /** The embedding comes out with unit norm (checked at load). */
  outputNormalized?: boolean;
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
  recognizer: RecognizerSpec;
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
  (manifest.generator.constantInputs ?? []).forEach((input, index) => {
    if (input.file !== undefined && input.sha256 !== undefined)
      files.push({ field: `generator.constantInputs[${index}]`, file: input.file, sha256: input.sha256 });
  });
  (manifest.covariates ?? []).forEach((covariate, index) =>
    files.push({ field: `covariates[${index}]`, ...pick(covariate) }),
  );
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
    throw new PackError('manifest-not-json', manifestFileName, `is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  return validateManifest(value);
}

/** Checks the manifest against the schema, then the rules a schema cannot say; throws the first violation. */
export function validateManifest(value: unknown): PackManifest {
  const violations = validateJson(modelPackSchema, value);
  if (conformsToSchema(value, violations)) violations.push(...semanticViolations(value));
  const first = violations[0];
  if (first) {
    const more =
      violations.length > 1
        ? ` (and ${violations.length - 1} more: ${violations.slice(1).map(describe).join('; ')})`
        : '';
    throw new PackError('manifest-invalid', first.path || manifestFileName, `${first.message}${more}`);
  }
  return value as PackManifest;
}

/** The schema describes PackManifest field by field, so a value it accepts is one. */
function conformsToSchema(value: unknown, violations: readonly SchemaViolation[]): value is PackManifest {
  return violations.length === 0 && isRecord(value);
}

function describe(violation: SchemaViolation): string {
  return `${violation.path || manifestFileName}: ${violation.message}`;
}

function semanticViolations(manifest: PackManifest): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  for (const { field, file } of packFiles(manifest)) {
    const path = `${field}.file`;
    if (
      file.startsWith('/') ||
      file.includes('\\') ||
      file.split('/').some((part) => part === '..' || part === '.' || part === '')
    ) {
      violations.push({
        path,
        message: "must be a relative path inside the pack ('/' separated, no '.', '..' or empty parts)",
      });
    }
  }
  for (const [path, range] of [
    ['generator.pixelRange', manifest.generator.pixelRange],
    ['alignment.pixelRange', manifest.alignment.pixelRange],
  ] as const) {
    if (!(range[0] < range[1])) violations.push({ path, message: `low must be below high, got [${range.join(', ')}]` });
  }
  violations.push(
    ...alignmentViolations(manifest),
    ...constantInputViolations(manifest),
    ...recognizerViolations(manifest),
  );
  if ('values' in manifest.wAvg && manifest.wAvg.values.length !== manifest.latentDim) {
    violations.push({
      path: 'wAvg.values',
      message: `has ${manifest.wAvg.values.length} values, latentDim is ${manifest.latentDim}`,
    });
  }
  const seen = new Set<string>();
  (manifest.covariates ?? []).forEach((covariate, index) => {
    if (seen.has(covariate.name))
      violations.push({ path: `covariates[${index}].name`, message: `repeats "${covariate.name}"` });
    seen.add(covariate.name);
  });
  return violations;
}

function alignmentViolations(manifest: PackManifest): SchemaViolation[] {
  const { crop, landmarks } = manifest.alignment;
  const { width, height } = manifest.generator;
  if ((crop === undefined) === (landmarks === undefined)) {
    return [
      { path: 'alignment', message: 'give exactly one of crop (crop and resize) and landmarks (similarity transform)' },
    ];
  }
  if (crop && (crop.x + crop.width > width || crop.y + crop.height > height)) {
    return [
      {
        path: 'alignment.crop',
        message:
          `box x ${crop.x}..${crop.x + crop.width}, y ${crop.y}..${crop.y + crop.height} is outside the ` +
          `${width}×${height} generator image`,
      },
    ];
  }
  return [];
}

function constantInputViolations(manifest: PackManifest): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  const names = new Set([manifest.generator.input]);
  (manifest.generator.constantInputs ?? []).forEach((input, index) => {
    const path = `generator.constantInputs[${index}]`;
    if (names.has(input.name))
      violations.push({
        path: `${path}.name`,
        message: `"${input.name}" is already the generator input or another constant input`,
      });
    names.add(input.name);
    const hasFile = input.file !== undefined || input.sha256 !== undefined;
    if (
      (input.values !== undefined) === hasFile ||
      (hasFile && (input.file === undefined || input.sha256 === undefined))
    ) {
      violations.push({ path, message: 'give either values, or file with sha256' });
    }
    const count = input.dims.reduce((a, b) => a * b, 1);
    if (input.values !== undefined && input.values.length !== count) {
      violations.push({
        path: `${path}.values`,
        message: `has ${input.values.length} values, dims [${input.dims.join(', ')}] need ${count}`,
      });
    }
  });
  return violations;
}

function recognizerViolations(manifest: PackManifest): SchemaViolation[] {
  const { normalization } = manifest.recognizer;
  if (!normalization) return [];
  const channels = manifest.generator.channels;
  const violations: SchemaViolation[] = [];
  for (const key of ['mean', 'std'] as const) {
    if (normalization[key].length !== channels && normalization[key].length !== 1) {
      violations.push({
        path: `recognizer.normalization.${key}`,
        message: `has ${normalization[key].length} values; give 1 or one per channel (${channels})`,
      });
    }
  }
  if (normalization.std.some((s) => s === 0))
    violations.push({ path: 'recognizer.normalization.std', message: 'must not contain 0' });
  return violations;
}
