import { GraphBuilder } from '../../onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../../onnx/proto.js';
import { DataType, float32Tensor } from '../../onnx/tensor.js';
import type { DenseLayer } from './mappingNetwork.js';
import type { BatchNormParameters, Tensor64 } from './tensor64.js';

/** Opset of the fixtures' torch exports; the built-in pack uses the same, so composing never mixes versions. */
export const builtinOpset = 13;
export const batchDim = 'batch';

/** Float32 initializer from float64 reference weights (round to nearest). */
export function weight(builder: GraphBuilder, name: string, dims: readonly number[], data: Float64Array): string {
  return builder.initializer(float32Tensor(name, dims, Float32Array.from(data)));
}

export function tensorWeight(builder: GraphBuilder, name: string, t: Tensor64): string {
  return weight(builder, name, t.shape, t.data);
}

export function scalar(builder: GraphBuilder, name: string, value: number): string {
  return builder.constantFloat([value], [], DataType.FLOAT, name);
}

/** x·Wᵀ + b */
export function dense(builder: GraphBuilder, name: string, x: string, layer: DenseLayer): string {
  const w = tensorWeight(builder, `${name}.weight`, layer.weight);
  const b = weight(builder, `${name}.bias`, [layer.bias.length], layer.bias);
  return builder.op('Gemm', [x, w, b], { transB: 1 }, name);
}

export function batchNorm(builder: GraphBuilder, name: string, x: string, p: BatchNormParameters): string {
  const c = p.scale.length;
  return builder.op(
    'BatchNormalization',
    [
      x,
      weight(builder, `${name}.weight`, [c], p.scale),
      weight(builder, `${name}.bias`, [c], p.bias),
      weight(builder, `${name}.running_mean`, [c], p.mean),
      weight(builder, `${name}.running_var`, [c], p.variance),
    ],
    { epsilon: { float: p.epsilon } },
    name,
  );
}

/** Names `source` as the graph's float output and wraps the graph in a model. */
export function finishModel(
  builder: GraphBuilder,
  source: string,
  output: { name: string; dims: ReadonlyArray<number | string> },
): ModelProto {
  builder.node('Identity', [source], { outputs: [output.name], name: `${output.name}_identity` });
  builder.output(output.name, DataType.FLOAT, output.dims);
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'brownian',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: builtinOpset }],
    graph: builder.graph,
  });
}
