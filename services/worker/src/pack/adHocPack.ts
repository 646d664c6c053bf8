import { GraphBuilder } from '../onnx/graphBuilder.js';
import { encodeModel } from '../onnx/model.js';
import { onnx, type ModelProto } from '../onnx/proto.js';
import { DataType } from '../onnx/tensor.js';
import { float32 } from '../runtime/hostTensor.js';
import { createSession, runSession } from '../runtime/session.js';
import { manifestFileName, sha256Hex, type PackManifest } from '../../../../src/core/packs/manifest.js';
import { packFormat } from '../../../../src/core/packs/manifestSchema.js';
import { modelIo, type TensorInfo } from './modelIo.js';
import { decodePackModel, type ModelRole } from './loadPack.js';
import { PackError } from '../../../../src/core/packs/PackError.js';

/** Loose model files, as `pack check --generator G --recognizer R [--mapping M]` takes them. */
export interface LooseModels {
  generator: Uint8Array;
  recognizer: Uint8Array;
  /** Without one, latents are drawn directly in w space (an identity mapping). */
  mapping?: Uint8Array;
  wAvg?: Float32Array;
}

function onlyInput(role: ModelRole, model: ModelProto): TensorInfo {
  const { inputs } = modelIo(model);
  if (inputs.length !== 1) {
    throw new PackError(
      'model-io',
      `${role}.input`,
      `the model must take exactly one input, it takes ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
    );
  }
  return inputs[0]!;
}

function firstOutput(role: ModelRole, model: ModelProto): TensorInfo {
  const output = modelIo(model).outputs[0];
  if (!output) throw new PackError('model-io', `${role}.output`, 'the model has no output');
  return output;
}

function staticDims(role: ModelRole, tensor: TensorInfo, rank: number): number[] {
  const dims = (tensor.dims ?? []).slice(1);
  if (dims.length !== rank - 1 || !dims.every((d): d is number => typeof d === 'number' && d > 0)) {
    throw new PackError(
      'dims-mismatch',
      `${role}.input`,
      `"${tensor.name}" must have rank ${rank} with static sizes after the batch axis, declared [${(tensor.dims ?? []).join(', ')}]`,
    );
  }
  return dims;
}

/** Output dims after the batch axis, from a run on one zero input (exports often leave them symbolic). */
async function outputDims(
  role: ModelRole,
  model: ModelProto,
  input: TensorInfo,
  inputDims: readonly number[],
  output: string,
): Promise<number[]> {
  try {
    const session = await createSession(model, { provider: 'cpu' });
    try {
      const count = inputDims.reduce((a, b) => a * b, 1);
      const result = await runSession(session, { [input.name]: float32([1, ...inputDims], new Float32Array(count)) }, [
        output,
      ]);
      return result[output]!.dims.slice(1);
    } finally {
      await session.release();
    }
  } catch (error) {
    throw new PackError('dry-run-failed', `${role}.file`, `failed on one zero input: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function identityMapping(dim: number): Uint8Array {
  const builder = GraphBuilder.empty('identity_mapping');
  builder.input('z', DataType.FLOAT, ['batch', dim]);
  builder.node('Identity', ['z'], { outputs: ['w'] });
  builder.output('w', DataType.FLOAT, ['batch', dim]);
  return encodeModel(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: builder.graph }),
  );
}

/**
 * The files of a pack around loose models, so that they go through exactly the checks a pack does:
 * the alignment only resizes the whole image to the recognizer's input, both sides in the same pixel
 * range, and w_avg is the given one or zero.
 */
export async function adHocPackFiles(models: LooseModels): Promise<Map<string, Uint8Array>> {
  const generator = decodePackModel('generator', models.generator);
  const recognizer = decodePackModel('recognizer', models.recognizer);
  const wIn = onlyInput('generator', generator);
  const [latentDim] = staticDims('generator', wIn, 2) as [number];
  const imageOut = firstOutput('generator', generator);
  const [channels, height, width] = (await outputDims('generator', generator, wIn, [latentDim], imageOut.name)) as [
    number,
    number,
    number,
  ];
  const xIn = onlyInput('recognizer', recognizer);
  const [, inputHeight, inputWidth] = staticDims('recognizer', xIn, 4) as [number, number, number];
  const eOut = firstOutput('recognizer', recognizer);
  const [embeddingDim] = (await outputDims(
    'recognizer',
    recognizer,
    xIn,
    staticDims('recognizer', xIn, 4),
    eOut.name,
  )) as [number];
  const mappingBytes = models.mapping ?? identityMapping(latentDim);
  const mapping = decodePackModel('mapping', mappingBytes);
  const zIn = onlyInput('mapping', mapping);
  const [zDim] = staticDims('mapping', zIn, 2) as [number];

  const files = new Map<string, Uint8Array>([
    ['mapping.onnx', mappingBytes],
    ['generator.onnx', models.generator],
    ['recognizer.onnx', models.recognizer],
  ]);
  const digest = (file: string): string => sha256Hex(files.get(file)!);
  const manifest: PackManifest = {
    format: packFormat,
    name: 'models under check',
    latentDim,
    embeddingDim,
    mapping: {
      file: 'mapping.onnx',
      sha256: digest('mapping.onnx'),
      input: zIn.name,
      output: firstOutput('mapping', mapping).name,
      zDim,
    },
    generator: {
      file: 'generator.onnx',
      sha256: digest('generator.onnx'),
      input: wIn.name,
      output: imageOut.name,
      layout: 'NCHW',
      channels,
      height,
      width,
      pixelRange: [-1, 1],
    },
    alignment: {
      crop: { x: 0, y: 0, width, height },
      outputSize: { width: inputWidth, height: inputHeight },
      pixelRange: [-1, 1],
    },
    recognizer: { file: 'recognizer.onnx', sha256: digest('recognizer.onnx'), input: xIn.name, output: eOut.name },
    wAvg: { values: Array.from(models.wAvg ?? new Float32Array(latentDim)) },
    truncation: 0.7,
  };
  files.set(manifestFileName, new TextEncoder().encode(JSON.stringify(manifest)));
  return files;
}
