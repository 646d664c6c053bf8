import { composeModels } from '../onnx/compose.js';
import { GraphBuilder } from '../onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../onnx/proto.js';
import { DataType, float32Tensor } from '../onnx/tensor.js';
import type { ConstantInputSpec, PackManifest } from '../../../../src/core/packs/manifest.js';

/** The generator with its w+ broadcast and constant inputs in front: one w [batch, latentDim] in, the image out. */
export interface LatentToImage {
  model: ModelProto;
  input: string;
  output: string;
}

const frontOpset = 13;
const frontIo = { w: 'w', ws: 'ws' } as const;

/** Values of each constant input, by input name. */
export type ConstantValues = ReadonlyMap<string, Float32Array>;

/**
 * w → the generator's inputs. With numWs the one w is Unsqueezed and Expanded to [batch, numWs, W]
 * inside the graph, so the gradient graph sums the per-layer gradients back onto it (the paper
 * evolves one w per identity). Constant inputs are initializers, Expanded to the batch read from w's
 * shape when they are per sample, so no gradient reaches them and one graph serves every batch.
 */
function buildFront(manifest: PackManifest, constants: ConstantValues): ModelProto {
  const { generator, latentDim } = manifest;
  const builder = GraphBuilder.empty('latent_front');
  builder.input(frontIo.w, DataType.FLOAT, [generator.batch ?? 'batch', latentDim]);
  if (generator.numWs === undefined) {
    builder.node('Identity', [frontIo.w], { outputs: [frontIo.ws] });
    builder.output(frontIo.ws, DataType.FLOAT, [generator.batch ?? 'batch', latentDim]);
  } else {
    const unsqueezed = builder.op('Unsqueeze', [frontIo.w, builder.constantInt64([1], [1], 'layer_axis')]);
    builder.node('Expand', [unsqueezed, builder.constantInt64([1, generator.numWs, 1], [3], 'layers')], {
      outputs: [frontIo.ws],
      name: 'broadcast_w',
    });
    builder.output(frontIo.ws, DataType.FLOAT, [generator.batch ?? 'batch', generator.numWs, latentDim]);
  }
  const batch = builder.op('Slice', [
    builder.op('Shape', [frontIo.w]),
    builder.constantInt64([0], [1]),
    builder.constantInt64([1], [1]),
  ]);
  for (const input of generator.constantInputs ?? []) addConstant(builder, input, constants.get(input.name)!, batch);
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'brownian',
    opsetImport: [{ domain: '', version: frontOpset }],
    graph: builder.graph,
  });
}

function addConstant(builder: GraphBuilder, input: ConstantInputSpec, values: Float32Array, batch: string): void {
  const output = `const_${input.name}`;
  if (input.perSample) {
    const value = builder.initializer(float32Tensor(`${input.name}_value`, [1, ...input.dims], values));
    const shape = builder.op('Concat', [batch, builder.constantInt64(input.dims, [input.dims.length])], { axis: 0 });
    builder.node('Expand', [value, shape], { outputs: [output], name: `expand_${input.name}` });
    builder.output(output, DataType.FLOAT, ['batch', ...input.dims]);
  } else {
    const value = builder.initializer(float32Tensor(`${input.name}_value`, input.dims, values));
    builder.node('Identity', [value], { outputs: [output] });
    builder.output(output, DataType.FLOAT, input.dims);
  }
}

export function buildLatentToImage(
  manifest: PackManifest,
  generator: ModelProto,
  constants: ConstantValues,
): LatentToImage {
  const spec = manifest.generator;
  const model = composeModels(buildFront(manifest, constants), generator, {
    connect: [
      [frontIo.ws, spec.input],
      ...(spec.constantInputs ?? []).map((c) => [`const_${c.name}`, c.name] as const),
    ],
    prefixes: { first: 'front/', second: 'generator/' },
    graphName: `${manifest.name} generator`,
  });
  return { model, input: `front/${frontIo.w}`, output: `generator/${spec.output}` };
}
