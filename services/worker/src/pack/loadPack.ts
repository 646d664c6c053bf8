import { inspectOps } from '../autodiff/inspect.js';
import { decodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { asFloat32, float32 } from '../runtime/hostTensor.js';
import { createSession, runSession } from '../runtime/session.js';
import { alignmentIo, buildAlignmentModel } from './alignment.js';
import {
  manifestFileName,
  packDigest,
  packFiles,
  parseManifest,
  sha256Hex,
  type ModelFileSpec,
  type PackManifest,
} from '../../../../src/core/packs/manifest.js';
import { checkModelIo, type ExpectedDim, type IoExpectation } from './modelIo.js';
import { buildLatentToImage, type LatentToImage } from './latentToImage.js';
import { checkFixedBatch } from './fixedBatch.js';
import { PackError } from '../../../../src/core/packs/PackError.js';
import { directorySource, type PackSource } from '../../../../src/core/packs/packSource.js';
import { bytesToFloat32 } from '../../../../src/core/db/floats.js';

export interface LoadedCovariate {
  name: string;
  scale: number;
  direction: Float32Array;
}

/** A checked pack: its manifest, identity, decoded models and vectors. */
export interface LoadedPack {
  manifest: PackManifest;
  /** sha256 of the canonical manifest: the pack's identity in provenance. */
  digest: string;
  location: string;
  mapping: ModelProto;
  generator: ModelProto;
  /** Crop, resize and pixel-range map from generator images to recognizer input. */
  alignment: ModelProto;
  recognizer: ModelProto;
  wAvg: Float32Array;
  covariates: LoadedCovariate[];
  /** Default values of the generator's constant inputs, by input name. */
  constants: Map<string, Float32Array>;
  /** w → image: the generator behind its w+ broadcast and constant inputs. */
  latentToImage: LatentToImage;
}

export type ModelRole = 'mapping' | 'generator' | 'recognizer';

/**
 * Loads a pack from a folder or any PackSource, and checks everything before anyone runs it: the
 * manifest, every file's digest, the models' inputs, outputs and dims, that the generator and the
 * recognizer can be differentiated, and a dry run of z → w → image → aligned → embedding.
 * Throws a PackError naming the manifest field at fault.
 */
export async function loadPack(from: string | PackSource): Promise<LoadedPack> {
  const source = typeof from === 'string' ? directorySource(from) : from;
  const manifestBytes = await source.read(manifestFileName);
  if (!manifestBytes) throw new PackError('manifest-missing', manifestFileName, `not found in ${source.location}`);
  const manifest = parseManifest(new TextDecoder().decode(manifestBytes));

  const contents = new Map<string, Uint8Array>();
  for (const { field, file, sha256 } of packFiles(manifest)) {
    const bytes = await source.read(file);
    if (!bytes) throw new PackError('file-missing', `${field}.file`, `"${file}" not found in ${source.location}`);
    const actual = sha256Hex(bytes);
    if (actual !== sha256)
      throw new PackError(
        'digest-mismatch',
        `${field}.sha256`,
        `does not match file contents ("${file}" has sha256 ${actual})`,
      );
    contents.set(file, bytes);
  }
  const file = (spec: { file: string }): Uint8Array => contents.get(spec.file)!;

  const mapping = decodePackModel('mapping', file(manifest.mapping));
  const generator = decodePackModel('generator', file(manifest.generator));
  const recognizer = decodePackModel('recognizer', file(manifest.recognizer));
  checkFixedBatch(generator, manifest.generator.batch);
  for (const [role, model] of [
    ['mapping', mapping],
    ['generator', generator],
    ['recognizer', recognizer],
  ] as const) {
    checkModelIo(model, expectation(manifest, role));
  }
  for (const [role, model] of [
    ['generator', generator],
    ['recognizer', recognizer],
  ] as const)
    checkDifferentiable(role, model);

  const wAvg =
    'values' in manifest.wAvg ? Float32Array.from(manifest.wAvg.values) : vector(manifest, 'wAvg', file(manifest.wAvg));
  const covariates = (manifest.covariates ?? []).map((c, index) => ({
    name: c.name,
    scale: c.scale,
    direction: vector(manifest, `covariates[${index}]`, file(c)),
  }));
  const constants = new Map(
    (manifest.generator.constantInputs ?? []).map((c, index) => [
      c.name,
      c.values
        ? Float32Array.from(c.values)
        : floats(
            `generator.constantInputs[${index}]`,
            file({ file: c.file! }),
            c.dims.reduce((a, b) => a * b, 1),
          ),
    ]),
  );
  const alignment = buildAlignmentModel(manifest.alignment, manifest.generator, manifest.recognizer);
  const latentToImage = buildLatentToImage(manifest, generator, constants);
  const pack: LoadedPack = {
    manifest,
    digest: packDigest(manifest),
    location: source.location,
    mapping,
    generator,
    alignment,
    recognizer,
    wAvg,
    covariates,
    constants,
    latentToImage,
  };
  await dryRun(pack);
  return pack;
}

/** ONNX bytes of one pack model; an unreadable file is a PackError on that model's `file`. */
export function decodePackModel(role: ModelRole, bytes: Uint8Array): ModelProto {
  try {
    const model = decodeModel(bytes);
    if (!model.graph) throw new Error('it has no graph');
    return model;
  } catch (error) {
    throw new PackError('model-unreadable', `${role}.file`, `is not an ONNX model (${(error as Error).message})`, {
      cause: error,
    });
  }
}

const dim = (value: number, field: string): ExpectedDim => ({ value, field });

/** What each model must take and give, with the manifest fields that set each size. */
function expectation(manifest: PackManifest, role: ModelRole): IoExpectation {
  const { generator } = manifest;
  const image = (size: { height: number; width: number }, field: string): ExpectedDim[] => [
    dim(generator.channels, 'generator.channels'),
    dim(size.height, `${field}.height`),
    dim(size.width, `${field}.width`),
  ];
  const spec: ModelFileSpec = manifest[role];
  const io = { field: role, input: spec.input, output: spec.output };
  switch (role) {
    case 'mapping':
      return {
        ...io,
        inputDims: [dim(manifest.mapping.zDim, 'mapping.zDim')],
        outputDims: [dim(manifest.latentDim, 'latentDim')],
      };
    case 'generator':
      return {
        ...io,
        inputDims:
          generator.numWs === undefined
            ? [dim(manifest.latentDim, 'latentDim')]
            : [dim(generator.numWs, 'generator.numWs'), dim(manifest.latentDim, 'latentDim')],
        outputDims: image(generator, 'generator'),
        extraInputs: (generator.constantInputs ?? []).map((c, index) => ({
          name: c.name,
          field: `generator.constantInputs[${index}].name`,
        })),
        fixedBatch: generator.batch,
      };
    case 'recognizer':
      return {
        ...io,
        inputDims: recognizerInputDims(manifest),
        outputDims: [dim(manifest.embeddingDim, 'embeddingDim')],
      };
  }
}

/** The aligned image's dims after the batch axis, in the recognizer's layout. */
function recognizerInputDims(manifest: PackManifest): ExpectedDim[] {
  const { outputSize } = manifest.alignment;
  const channels = dim(manifest.generator.channels, 'generator.channels');
  const hw = [
    dim(outputSize.height, 'alignment.outputSize.height'),
    dim(outputSize.width, 'alignment.outputSize.width'),
  ];
  return manifest.recognizer.layout === 'NHWC' ? [...hw, channels] : [channels, ...hw];
}

function checkDifferentiable(role: 'generator' | 'recognizer', model: ModelProto): void {
  let inspection;
  try {
    inspection = inspectOps(model);
  } catch (error) {
    throw new PackError('model-unreadable', `${role}.file`, `cannot be inspected: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!inspection.opsetSupported) {
    throw new PackError(
      'unsupported-op',
      `${role}.file`,
      `uses ONNX opset ${inspection.opset}; gradients are built for opsets 13 to 17`,
    );
  }
  if (inspection.unsupported.length > 0) {
    const listed = inspection.ops
      .filter((op) => !op.supported)
      .map((op) => `${op.opType} (${op.onGradientPath} node${op.onGradientPath === 1 ? '' : 's'})`);
    throw new PackError(
      'unsupported-op',
      `${role}.file`,
      `uses operators without a gradient rule on the path to its output: ${listed.join(', ')}`,
    );
  }
}

function vector(manifest: PackManifest, field: string, bytes: Uint8Array): Float32Array {
  return floats(field, bytes, manifest.latentDim);
}

function floats(field: string, bytes: Uint8Array, count: number): Float32Array {
  if (bytes.length !== count * 4) {
    throw new PackError(
      'vector-invalid',
      `${field}.file`,
      `holds ${bytes.length} bytes; expected ${count} float32 values (${count * 4} bytes)`,
    );
  }
  const values = bytesToFloat32(bytes);
  if (!values.every(Number.isFinite))
    throw new PackError('vector-invalid', `${field}.file`, 'holds values that are not finite');
  return values;
}

/** Two rows, so that a batch axis fixed at 1 inside a graph shows; a pack exported at a fixed batch runs at that. */
const defaultDryRunBatch = 2;

async function runOnce(
  pack: LoadedPack,
  field: string,
  model: ModelProto,
  input: string,
  output: string,
  dims: readonly number[],
  data: Float32Array,
  expected: readonly ExpectedDim[],
): Promise<Float32Array> {
  const dryRunBatch = dims[0]!;
  let result: Float32Array;
  let actualDims: readonly number[];
  try {
    const session = await createSession(model, { provider: 'cpu' });
    try {
      const outputs = await runSession(session, { [input]: float32(dims, data) }, [output]);
      actualDims = outputs[output]!.dims;
      result = asFloat32(outputs[output]!, output);
    } finally {
      await session.release();
    }
  } catch (error) {
    throw new PackError(
      'dry-run-failed',
      field,
      `failed on a batch of ${dryRunBatch} in ${pack.location}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const wanted = [dryRunBatch, ...expected.map((d) => d.value)];
  if (actualDims.length !== wanted.length || actualDims.some((d, k) => d !== wanted[k])) {
    const culprit = expected.find((d, k) => actualDims[k + 1] !== d.value);
    throw new PackError(
      'dims-mismatch',
      culprit?.field ?? field,
      `the model's output "${output}" has dims [${actualDims.join(', ')}], the manifest says [${wanted.join(', ')}]`,
    );
  }
  if (!result.every(Number.isFinite))
    throw new PackError('dry-run-failed', field, `output "${output}" has values that are not finite`);
  return result;
}

async function dryRun(pack: LoadedPack): Promise<void> {
  const { manifest } = pack;
  const dryRunBatch = manifest.generator.batch ?? defaultDryRunBatch;
  const zDim = manifest.mapping.zDim;
  const z = Float32Array.from({ length: dryRunBatch * zDim }, (_, k) => Math.sin(k + 1));
  const mapped = await runOnce(
    pack,
    'mapping.file',
    pack.mapping,
    manifest.mapping.input,
    manifest.mapping.output,
    [dryRunBatch, zDim],
    z,
    expectation(manifest, 'mapping').outputDims,
  );
  const w = mapped.map(
    (v, k) => pack.wAvg[k % manifest.latentDim] + manifest.truncation * (v - pack.wAvg[k % manifest.latentDim]),
  );
  const g = manifest.generator;
  const chain = pack.latentToImage;
  const images = await runOnce(
    pack,
    'generator.file',
    chain.model,
    chain.input,
    chain.output,
    [dryRunBatch, manifest.latentDim],
    w,
    expectation(manifest, 'generator').outputDims,
  );
  const recognizerDims = recognizerInputDims(manifest);
  const aligned = await runOnce(
    pack,
    'alignment',
    pack.alignment,
    alignmentIo.input,
    alignmentIo.output,
    [dryRunBatch, g.channels, g.height, g.width],
    images,
    recognizerDims,
  );
  const r = manifest.recognizer;
  const embeddings = await runOnce(
    pack,
    'recognizer.file',
    pack.recognizer,
    r.input,
    r.output,
    [dryRunBatch, ...recognizerDims.map((d) => d.value)],
    aligned,
    expectation(manifest, 'recognizer').outputDims,
  );
  if (r.outputNormalized) checkUnitNorms(embeddings, manifest.embeddingDim);
}

function checkUnitNorms(embeddings: Float32Array, dimension: number): void {
  for (let row = 0; row * dimension < embeddings.length; row++) {
    const norm = Math.hypot(...embeddings.subarray(row * dimension, (row + 1) * dimension));
    if (Math.abs(norm - 1) > 1e-3) {
      throw new PackError(
        'dry-run-failed',
        'recognizer.outputNormalized',
        `is true, but an embedding of the dry run has norm ${norm.toPrecision(6)}`,
      );
    }
  }
}
